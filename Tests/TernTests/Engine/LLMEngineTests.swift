import Foundation
import Testing
import Tern

/// The serving engine on the real default model: one code path for one request or many.
@Suite("LLMEngine on the default model", .serialized)
struct LLMEngineTests {
    static func engine(
        contextLength: Int = 512, kvCacheTokens: Int? = nil, maxSequences: Int = 8, maxBatchedTokens: Int = 256,
        maxOutstanding: Int = 64, checksInvariants: Bool = false
    ) throws -> LLMEngine {
        let loaded = try TestModel.load()
        return try LLMEngine(
            model: loaded, modelName: "smollm2", chatTemplate: .chatml,
            configuration: EngineConfiguration(
                contextLength: contextLength, kvCacheTokens: kvCacheTokens, blockSize: 16, maxSequences: maxSequences,
                maxBatchedTokens: maxBatchedTokens, maxOutstanding: maxOutstanding, threadCount: 2,
                checksInvariants: checksInvariants))
    }

    /// Runs a request to its end; returns its tokens, text and summary.
    static func collect(
        _ engine: LLMEngine, _ request: GenerationRequest
    ) async throws -> (tokens: [Int], text: String, summary: GenerationSummary?, events: [GeneratedToken]) {
        var tokens: [Int] = [], text = "", summary: GenerationSummary?, events: [GeneratedToken] = []
        for await event in try engine.submit(request) {
            switch event {
            case let .token(t):
                tokens.append(t.token)
                text += t.text
                events.append(t)
            case let .finished(s): summary = s
            }
        }
        return (tokens, text, summary, events)
    }

    static func greedy(_ tokens: Int) -> SamplingParams {
        var p = SamplingParams.greedy
        p.maxTokens = tokens
        return p
    }

    @Test("greedy generation reproduces llama.cpp's tokens up to the first near tie", arguments: try GreedyReference.all())
    func matchesLlamaCpp(reference: GreedyReference) async throws {
        let engine = try Self.engine()
        let result = try await Self.collect(
            engine, GenerationRequest(promptTokens: reference.promptTokens, params: Self.greedy(reference.generatedTokens.count)))
        let decisive = reference.decisiveStepCount
        #expect(decisive >= 4)
        #expect(Array(result.tokens.prefix(decisive)) == Array(reference.generatedTokens.prefix(decisive)))
        #expect(result.summary?.finishReason == .length)
        #expect(result.summary?.generatedTokens == reference.generatedTokens.count)
    }

    @Test("requests decoding together each complete, and their first tokens match each run alone")
    func batchedRequests() async throws {
        let engine = try Self.engine()
        let tokenizer = engine.tokenizer
        let prompts = ["The capital of France is", "Once upon a time", "1, 2, 3, 4,", "The best way to learn Swift is"]
            .map { tokenizer.encode($0) }
        var alone: [[Int]] = []
        for prompt in prompts {
            alone.append(try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(12))).tokens)
        }
        let together = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (i, prompt) in prompts.enumerated() {
                group.addTask { (i, try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(12))).tokens) }
            }
            var result = [[Int]](repeating: [], count: prompts.count)
            for try await (i, tokens) in group { result[i] = tokens }
            return result
        }
        // Batched products sum in another order than single ones (logits agree to ~1e-3,
        // LlamaModelTests), so a near tie later on may go either way; the first tokens may not.
        for i in prompts.indices {
            #expect(together[i].count == 12)
            #expect(together[i].prefix(4) == alone[i].prefix(4), "prompt \(i)")
        }
        #expect(engine.snapshot().kvBlocksUsed == 0)
    }

    @Test("a repeated prompt finds its full blocks in the prefix cache")
    func prefixCacheHit() async throws {
        let engine = try Self.engine()
        let prompt = engine.tokenizer.encode(String(repeating: "A long shared system prompt about cats. ", count: 12))
        let first = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(4)))
        let second = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(4)))
        #expect(first.summary?.cachedPromptTokens == 0)
        // Whole blocks of 16, leaving at least the last prompt token to compute.
        #expect(second.summary?.cachedPromptTokens == (prompt.count - 1) / 16 * 16)
        #expect(second.tokens == first.tokens)
        let snapshot = engine.snapshot()
        #expect(snapshot.prefixCacheHitTokens == (prompt.count - 1) / 16 * 16)
    }

    @Test("with checksInvariants on, the engine verifies its accounting every round; off, never")
    func invariantChecks() async throws {
        let prompt = try TestModel.load().tokenizer.encode("The capital of France is")
        for checking in [true, false] {
            let engine = try Self.engine(checksInvariants: checking)
            let result = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(6)))
            #expect(result.tokens.count == 6)
            let report = engine.invariantReport()
            // At least one round per generated token (the first one also prefills).
            #expect(checking ? report.checks >= 6 : report.checks == 0)
            #expect(report.firstViolation == nil)
        }
    }

    @Test("a consumer that stops listening aborts its request and frees its blocks at once")
    func abortOnTermination() async throws {
        let engine = try Self.engine()
        let prompt = engine.tokenizer.encode("Write a very long story about a dragon.")
        var received = 0
        let request = GenerationRequest(promptTokens: prompt, params: Self.greedy(400), ignoresEndOfGeneration: true)
        for await event in try engine.submit(request) {
            if case .token = event { received += 1 }
            if received == 3 { break }
        }
        #expect(received == 3)
        var snapshot = engine.snapshot()
        for _ in 0..<200 where snapshot.kvBlocksUsed > 0 || snapshot.runningSequences > 0 {
            try await Task.sleep(for: .milliseconds(10))
            snapshot = engine.snapshot()
        }
        #expect(snapshot.kvBlocksUsed == 0 && snapshot.runningSequences == 0 && snapshot.waitingSequences == 0)
    }

    @Test("stop strings end the text before the stop, and the reason says so")
    func stopString() async throws {
        let engine = try Self.engine()
        let reference = try #require(GreedyReference.all().first)
        let full = try await Self.collect(
            engine, GenerationRequest(promptTokens: reference.promptTokens, params: Self.greedy(8)))
        // Stop at the second word of the greedy continuation.
        let words = full.text.split(separator: " ")
        try #require(words.count >= 2)
        var params = Self.greedy(8)
        params.stop = [String(words[1])]
        let stopped = try await Self.collect(engine, GenerationRequest(promptTokens: reference.promptTokens, params: params))
        #expect(stopped.summary?.finishReason == .stopString)
        #expect(!stopped.text.contains(String(words[1])))
        #expect(full.text.hasPrefix(stopped.text))
    }

    @Test("a seed makes sampling repeat; log-probabilities are reported when asked")
    func seedsAndLogprobs() async throws {
        let engine = try Self.engine()
        let prompt = engine.tokenizer.encode("My favourite animal is")
        var params = SamplingParams(temperature: 1.0, topK: 0, topP: 1, minP: 0)
        params.maxTokens = 10
        params.seed = 42
        let a = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: params, topLogprobs: 3))
        let b = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: params, topLogprobs: 3))
        #expect(a.tokens == b.tokens)
        for event in a.events {
            let logprob = try #require(event.logprob)
            #expect(logprob <= 0 && logprob.isFinite)
            #expect(event.topLogprobs.count == 3)
            #expect(zip(event.topLogprobs, event.topLogprobs.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
            #expect(event.topLogprobs[0].logprob >= logprob)
        }
    }

    @Test("requests that cannot start are refused with the reason, nothing queued")
    func refusals() throws {
        let engine = try Self.engine(contextLength: 64)
        #expect(throws: GenerationError.emptyPrompt) { try engine.submit(GenerationRequest(promptTokens: [], params: .greedy)) }
        #expect(throws: GenerationError.promptTooLong(tokens: 64, contextLength: 64)) {
            try engine.submit(GenerationRequest(promptTokens: Array(repeating: 1, count: 64), params: .greedy))
        }
        #expect(throws: GenerationError.invalidToken(vocabularySize: engine.tokenizer.vocabularySize)) {
            try engine.submit(GenerationRequest(promptTokens: [1, -5], params: .greedy))
        }
        var bad = SamplingParams.greedy
        bad.topP = 0
        #expect(throws: GenerationError.self) { try engine.submit(GenerationRequest(promptTokens: [1], params: bad)) }
        #expect(engine.snapshot().waitingSequences == 0)
    }

    @Test("a full queue refuses more requests until one finishes")
    func queueFull() async throws {
        let engine = try Self.engine(maxOutstanding: 1)
        let prompt = engine.tokenizer.encode("Hello")
        let first = try engine.submit(GenerationRequest(promptTokens: prompt, params: Self.greedy(30)))
        #expect(throws: GenerationError.self) { try engine.submit(GenerationRequest(promptTokens: prompt, params: .greedy)) }
        for await _ in first {}
        let again = try await Self.collect(engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(2)))
        #expect(again.tokens.count == 2)
    }

    @Test("generation ends at the context length with reason length")
    func contextLimit() async throws {
        let engine = try Self.engine(contextLength: 32)
        let prompt = Array(engine.tokenizer.encode(String(repeating: "word ", count: 40)).prefix(28))
        let result = try await Self.collect(
            engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(100), ignoresEndOfGeneration: true))
        #expect(result.tokens.count == 4)
        #expect(result.summary?.finishReason == .length)
    }

    @Test("a small KV cache preempts and recomputes, and every request still completes")
    func preemption() async throws {
        // 6 blocks of 16 = 96 positions for 4 requests that each grow to about 50.
        let engine = try Self.engine(contextLength: 96, kvCacheTokens: 96, maxSequences: 4)
        let prompts = (0..<4).map { engine.tokenizer.encode("Story number \($0): once upon a time there was a") }
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for prompt in prompts {
                group.addTask {
                    try await Self.collect(
                        engine, GenerationRequest(promptTokens: prompt, params: Self.greedy(36), ignoresEndOfGeneration: true)
                    ).tokens
                }
            }
            var all: [[Int]] = []
            for try await tokens in group { all.append(tokens) }
            return all
        }
        #expect(results.allSatisfy { $0.count == 36 })
        let snapshot = engine.snapshot()
        #expect(snapshot.preemptions > 0)
        #expect(snapshot.kvBlocksUsed == 0)
    }
}
