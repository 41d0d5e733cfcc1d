import Testing
import TernKernels
@testable import Tern

@Suite("Decode attention: query heads shared evenly over threads")
struct AttentionShareTests {
    /// (kv heads, query heads per kv head, threads).
    static let splits: [(Int, Int, Int)] = [
        (3, 3, 1), (3, 3, 2), (3, 3, 3), (3, 3, 4), (3, 3, 16), (2, 2, 2), (4, 2, 2), (4, 2, 3),
        (8, 4, 3), (1, 9, 2), (5, 1, 2), (2, 17, 2), (32, 1, 7),
    ]

    @Test("every query head once, in order; shares within one head of each other; runs inside one kv head",
          arguments: splits)
    func coversEveryHeadOnce(kvHeads: Int, group: Int, threads: Int) {
        let shares = (0..<threads).map { Array(AttentionShare(thread: $0, threadCount: threads, kvHeads: kvHeads, group: group)) }
        let runs = shares.flatMap { $0 }
        #expect(runs.flatMap { Array($0) } == Array(0..<kvHeads * group))
        #expect(runs.allSatisfy { !$0.isEmpty && $0.lowerBound / group == ($0.upperBound - 1) / group })
        let sizes = shares.map { $0.reduce(0) { $0 + $1.count } }
        #expect(sizes.max()! - sizes.min()! <= 1, "heads per thread: \(sizes)")
        if kvHeads % threads == 0 {
            #expect(runs.allSatisfy { $0.count == group }, "whole kv heads when the threads divide them: \(shares)")
        }
    }

    @Test("SmolLM2 (3 kv heads of 3) on two threads: kv head 0 and head 3, then heads 4-5 and kv head 2")
    func smolLM2OnTwoThreads() {
        let shares = (0..<2).map { Array(AttentionShare(thread: $0, threadCount: 2, kvHeads: 3, group: 3)) }
        #expect(shares == [[0..<3, 3..<4], [4..<6, 6..<9]])
    }

    /// (kv heads, query heads, embedding width): SmolLM2's grouping, the default tiny model's,
    /// and a group of 17, more than one grouped kernel call takes.
    @Test("one-token decode logits are bit-identical on 1 to 4 threads",
          arguments: [(3, 9, 144), (2, 4, 64), (2, 34, 544)])
    func decodeSameOnAnyThreadCount(kvHeads: Int, heads: Int, dim: Int) throws {
        let directory = try TemporaryDirectory()
        let tiny = TinyModel(dim: dim, layers: 1, heads: heads, kvHeads: kvHeads, ffn: 64, vocab: 40)
        let model = try LlamaModel(file: GGUFFile(path: tiny.write(in: directory)))
        let tokens = [3, 17, 22, 5, 39, 8]
        var logits: [[Float]] = []
        for threads in 1...4 {
            let pool = ThreadPool(threadCount: threads)
            let cache = KVCache(config: model.config, capacity: tokens.count)
            let work = ForwardWorkspace(model: model, maxTokens: 1, maxLogitRows: 1)
            var steps: [Float] = []
            for (position, token) in tokens.enumerated() {
                steps += [token].withUnsafeBufferPointer {
                    model.forward(tokens: $0, startPosition: position, cache: cache, workspace: work, pool: pool)
                }
            }
            logits.append(steps)
        }
        #expect(logits[0].allSatisfy { $0.isFinite })
        for threads in 2...4 {
            #expect(logits[threads - 1].map(\.bitPattern) == logits[0].map(\.bitPattern), "\(threads) threads")
        }
    }
}
