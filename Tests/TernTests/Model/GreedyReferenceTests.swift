import Testing
import TernKernels
import Tern

/// Tern against llama.cpp on the real default model (SmolLM2-135M-Instruct, Q4_1).
@Suite("Greedy output matches llama.cpp on the default model", .serialized)
struct GreedyReferenceTests {
    @Test("the reference fixture parses")
    func fixtureParses() throws {
        let references = try GreedyReference.all()
        #expect(references.count == 2)
        for reference in references {
            #expect(reference.generatedTokens.count == 32)
            #expect(reference.steps.count == 32)
            #expect(reference.steps.map(\.token) == reference.generatedTokens)
        }
    }

    @Test("teacher forcing: top-1 token and its logit agree at every step", arguments: try GreedyReference.all())
    func teacherForcing(reference: GreedyReference) throws {
        let loaded = try TestModel.load()
        let model = loaded.model
        let vocabulary = model.config.vocabularySize
        let pool = ThreadPool(threadCount: 2)
        let capacity = reference.promptTokens.count + reference.generatedTokens.count
        let cache = KVCache(config: model.config, capacity: capacity)
        let workspace = ForwardWorkspace(
            model: model, maxTokens: reference.promptTokens.count, maxLogitRows: 1)
        // As llama.cpp made the reference: prefill the prompt, then decode llama.cpp's
        // tokens one at a time. Step s's logits predict generated token s.
        var logits = Array(reference.promptTokens.withUnsafeBufferPointer {
            model.forward(tokens: $0, startPosition: 0, cache: cache, workspace: workspace, pool: pool)
        })
        var squaredDifferences: [Float] = []
        for (step, expected) in reference.steps.enumerated() {
            #expect(logits.count == vocabulary)
            let top = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            // Near ties (margin < 0.25) may flip with arithmetic order, and their logits carry
            // the same order noise; the decisive steps must agree in token and logit.
            if expected.margin >= GreedyReference.nearTie {
                #expect(top == expected.token, "step \(step): Tern's top-1 is \(top), llama.cpp's \(expected.token) (margin \(expected.margin))")
                let difference = logits[expected.token] - expected.logit
                #expect(abs(difference) <= GreedyReference.logitTolerance,
                        "step \(step): logit of \(expected.token) is \(logits[expected.token]), llama.cpp's \(expected.logit)")
                squaredDifferences.append(difference * difference)
            }
            let position = reference.promptTokens.count + step
            logits = Array([reference.generatedTokens[step]].withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: position, cache: cache, workspace: workspace, pool: pool)
            })
        }
        let rms = (squaredDifferences.reduce(0, +) / Float(squaredDifferences.count)).squareRoot()
        #expect(rms <= GreedyReference.logitRMSTolerance, "RMS logit difference over decisive steps: \(rms)")
    }
    // Free generation through the engine: LLMEngineTests.matchesLlamaCpp.
}
