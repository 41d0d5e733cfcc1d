import Testing
import Tern

@Suite("Perplexity, as llama-perplexity computes it")
struct PerplexityTests {
    @Test("equals llama.cpp's on the bundled corpus within 0.5%")
    func matchesLlamaCpp() throws {
        let loaded = try TestModel.load()
        let tokens = loaded.tokenizer.encode(try Perplexity.defaultCorpus(), addSpecial: true, parseSpecial: false)
        // llama.cpp 0c1e570: llama-perplexity -m SmolLM2-135M-Instruct.Q4_1.gguf -f botchan.txt -c 512 --chunks 2 -t 2
        // prints [1]29.0961,[2]26.4717 and "PPL = 26.4717 +/- 3.40896". (Not -c 64: over its 93 scored
        // tokens llama.cpp itself moves from 31.87 to 32.71 with its attention path and batch size.)
        let evaluation = try Perplexity(model: loaded.model, contextSize: 512, threadCount: 2)
        var partial: [Double] = []
        let result = try evaluation.evaluate(tokens: tokens, maxChunks: 2) { _, _, ppl in partial.append(ppl) }
        #expect(result.chunks == 2)
        #expect(result.scoredTokens == 2 * 255)
        #expect(abs(result.perplexity / 26.4717 - 1) < 0.005, "Tern's PPL \(result.perplexity)")
        #expect(abs(result.uncertainty / 3.40896 - 1) < 0.05, "Tern's ± \(result.uncertainty)")
        #expect(partial.count == 2 && partial.last == result.perplexity)
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
