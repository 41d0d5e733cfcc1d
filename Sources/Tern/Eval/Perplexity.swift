import Foundation
import TernKernels

/// Perplexity of a model on a text, computed as llama.cpp's `llama-perplexity`
/// computes it, so the figures compare directly: the tokens are cut into chunks
/// of `contextSize`, each chunk is evaluated from an empty cache, and only the
/// second half of each chunk is scored (every scored token sees at least half a
/// context of history).
public struct Perplexity: Sendable {
    /// The result: `perplexity` ± `uncertainty` over `scoredTokens` tokens in `chunks` chunks.
    public struct Result: Sendable, Equatable {
        public var chunks: Int
        public var scoredTokens: Int
        public var perplexity: Double
        /// llama.cpp's estimate: ppl · sqrt(var(nll) / (count − 1)).
        public var uncertainty: Double
    }

    public let model: LlamaModel
    public let contextSize: Int
    public let threadCount: Int
    /// Tokens per forward pass (llama.cpp's default micro-batch is 512).
    public let batchSize: Int

    /// - Throws: `EvalError.invalidContextSize` when `contextSize` is below 4 or above the model's context.
    public init(model: LlamaModel, contextSize: Int, threadCount: Int, batchSize: Int = 256) throws(EvalError) {
        guard contextSize >= 4, contextSize <= model.config.contextLength else {
            throw .invalidContextSize(contextSize, trained: model.config.contextLength)
        }
        self.model = model
        self.contextSize = contextSize
        self.threadCount = threadCount
        self.batchSize = max(1, min(batchSize, contextSize))
    }

    /// Scores `tokens` (the whole text, tokenized as llama.cpp does: with BOS if the
    /// model adds one). `progress(chunksDone, chunkCount, perplexitySoFar)` after each chunk.
    public func evaluate(
        tokens: [Int], maxChunks: Int? = nil, progress: (Int, Int, Double) -> Void = { _, _, _ in }
    ) throws(EvalError) -> Result {
        let n = contextSize
        guard tokens.count >= 2 * n else { throw .textTooShort(tokens: tokens.count, needed: 2 * n) }
        let chunkCount = min(tokens.count / n, maxChunks ?? Int.max)
        let vocabulary = model.config.vocabularySize
        let pool = ThreadPool(threadCount: threadCount)
        let cache = KVCache(config: model.config, capacity: n)
        let workspace = ForwardWorkspace(
            model: model, maxTokens: batchSize, maxLogitRows: batchSize)
        let first = n / 2
        var logProbabilities = [Double](repeating: 0, count: batchSize)
        var nll = 0.0, nll2 = 0.0
        var count = 0
        for chunk in 0..<chunkCount {
            let start = chunk * n
            var position = 0
            while position < n {
                let end = min(n, position + batchSize)
                // Logits are needed for positions first..<n-1 only: a suffix of this batch, if any.
                let scoredFrom = max(position, first)
                let logitRows = end > scoredFrom ? end - scoredFrom : 1
                let logits = tokens[(start + position)..<(start + end)].withUnsafeBufferPointer {
                    model.forward(
                        tokens: $0, startPosition: position, cache: cache, workspace: workspace, pool: pool,
                        logitRows: logitRows)
                }
                if end > scoredFrom {
                    // Rows are independent: threads take rows, then sums run in order so the result
                    // does not depend on the thread count.
                    let scored = scoredFrom..<min(end, n - 1)
                    logProbabilities.withUnsafeMutableBufferPointer { out in
                        let results = out.baseAddress!
                        pool.run { index, threads in
                            for p in stride(from: scored.lowerBound + index, to: scored.upperBound, by: threads) {
                                let row = logits.baseAddress! + (p - (end - logitRows)) * vocabulary
                                results[p - scored.lowerBound] = Self.logSoftmax(row, count: vocabulary, at: tokens[start + p + 1])
                            }
                        }
                    }
                    for logProbability in logProbabilities[0..<scored.count] {
                        nll -= logProbability
                        nll2 += logProbability * logProbability
                        count += 1
                    }
                }
                position = end
            }
            progress(chunk + 1, chunkCount, exp(nll / Double(count)))
        }
        let mean = nll / Double(count)
        let variance = nll2 / Double(count) - mean * mean
        let perplexity = exp(mean)
        let uncertainty = variance > 0 && count > 1 ? (variance / Double(count - 1)).squareRoot() * perplexity : 0
        return Result(chunks: chunkCount, scoredTokens: count, perplexity: perplexity, uncertainty: uncertainty)
    }

    /// The bundled default corpus: Botchan by Natsume Soseki (English translation,
    /// Project Gutenberg, public domain), as in sentencepiece's test data.
    public static func defaultCorpus() throws(EvalError) -> String {
        guard let url = Bundle.module.url(forResource: "botchan", withExtension: "txt") else {
            throw .cannotRead(path: "botchan.txt", reason: "the bundled corpus is missing from this build")
        }
        return try readText(path: url.path)
    }

    /// Reads a text file as UTF-8 bytes, as llama.cpp reads its `-f` file (BOM and CRLF kept).
    public static func readText(path: String) throws(EvalError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "no such readable file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// log softmax(row)[token], summing in double as llama.cpp does.
    static func logSoftmax(_ row: UnsafePointer<Float>, count: Int, at token: Int) -> Double {
        var maximum = row[0]
        for i in 1..<count where row[i] > maximum { maximum = row[i] }
        var sum = 0.0
        for i in 0..<count { sum += Double(expf(row[i] - maximum)) }
        return Double(row[token] - maximum) - log(sum)
    }
}
