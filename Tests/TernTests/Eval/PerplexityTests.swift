import Testing
import Tern

@Suite("Perplexity, as llama-perplexity computes it")
struct PerplexityTests {
    @Test("equals llama.cpp's on the bundled corpus within 0.5%")
    func matchesLlamaCpp() throws {
        let loaded = try TestModel.load()
        let tokens = loaded.tokenizer.encode(try Perplexity.defaultCorpus(), addSpecial: true, parseSpecial: false)
        // llama.cpp 0c1e570: llama-perplexity -m SmolLM2-135M-Instruct.Q4_1.gguf -f botchan.txt -c 64 --chunks 3 -t 2
        // prints [1]24.2176,[2]35.8963,[3]32.0151 and "PPL = 32.0151 +/- 12.54737".
        let evaluation = try Perplexity(model: loaded.model, contextSize: 64, threadCount: 2)
        var partial: [Double] = []
        let result = try evaluation.evaluate(tokens: tokens, maxChunks: 3) { _, _, ppl in partial.append(ppl) }
        #expect(result.chunks == 3)
        #expect(result.scoredTokens == 3 * 31)
        #expect(abs(result.perplexity / 32.0151 - 1) < 0.005, "Tern's PPL \(result.perplexity)")
        #expect(abs(result.uncertainty / 12.54737 - 1) < 0.05, "Tern's ± \(result.uncertainty)")
        // Running values after one and two chunks rest on 31 and 62 tokens, too few to compare closely.
        #expect(partial.count == 3 && partial.last == result.perplexity)
    }

    @Test("a text shorter than two chunks is a clear error")
    func textTooShort() throws {
        let loaded = try TestModel.load()
        let evaluation = try Perplexity(model: loaded.model, contextSize: 64, threadCount: 1)
        #expect(throws: EvalError.textTooShort(tokens: 100, needed: 128)) {
            try evaluation.evaluate(tokens: Array(repeating: 504, count: 100))
        }
    }

    @Test("a context size beyond the model's is refused")
    func contextTooLarge() throws {
        let loaded = try TestModel.load()
        #expect(throws: EvalError.invalidContextSize(100_000, trained: 8192)) {
            try Perplexity(model: loaded.model, contextSize: 100_000, threadCount: 1)
        }
    }
}
