import Foundation
import Testing
@testable import TernKernels

@Suite("Tiled prefill attention")
struct AttentionTiledTests {
    typealias Cache = PagedCache
    /// (tokens, firstLength, blockSize, heads, kvHeads, headDimension): the SmolLM2 shape at
    /// the start of a sequence and after a cached prefix, chunks that are not whole tiles of
    /// rows (48) or keys (64), blocks that divide nothing, one to four query heads per kv head,
    /// heads of 12 (not a multiple of 8: the AVX2 path hands it to the portable tile) to 128.
    static let shapes = [
        (64, 1, 16, 9, 3, 64), (70, 30, 7, 9, 3, 64), (65, 1, 64, 4, 1, 32), (50, 80, 5, 4, 2, 128),
        (33, 1, 16, 2, 2, 16), (40, 3, 3, 6, 2, 12), (3, 140, 32, 3, 1, 64),
    ]

    /// Softmax attention in f64, written plainly: token j's head h over positions
    /// `0..<firstLength + j`, keys and values as the cache holds them (f16).
    static func reference(
        query: [Float], cache: Cache, firstLength: Int, tokens: Int, heads: Int, kvHeads: Int, headDimension: Int
    ) -> [Double] {
        let group = heads / kvHeads, qDim = heads * headDimension
        let scale = 1 / Double(headDimension).squareRoot()
        func offset(_ t: Int) -> Int { (Int(cache.table[t / cache.blockSize]) * cache.blockSize + t % cache.blockSize) * cache.row }
        let keys = cache.keys.map { Double(Float(Float16(bitPattern: $0))) }
        let values = cache.values.map { Double(Float(Float16(bitPattern: $0))) }
        var output = [Double](repeating: 0, count: tokens * qDim)
        var weights = [Double](repeating: 0, count: firstLength + tokens)
        for token in 0..<tokens {
            let length = firstLength + token
            for h in 0..<heads {
                let q = token * qDim + h * headDimension, kv = (h / group) * headDimension
                for t in 0..<length {
                    let row = offset(t) + kv
                    var dot = 0.0
                    for i in 0..<headDimension { dot += Double(query[q + i]) * keys[row + i] }
                    weights[t] = dot * scale
                }
                let maximum = weights[0..<length].max()!
                var total = 0.0
                for t in 0..<length {
                    weights[t] = exp(weights[t] - maximum)
                    total += weights[t]
                }
                for t in 0..<length {
                    let row = offset(t) + kv, weight = weights[t] / total
                    for i in 0..<headDimension { output[q + i] += weight * values[row + i] }
                }
            }
        }
        return output
    }

    /// Runs the tiled kernel over the whole chunk as `threads` callers would, in turn.
    static func tiled(
        query: [Float], cache: Cache, firstLength: Int, tokens: Int, heads: Int, kvHeads: Int, headDimension: Int,
        threads: Int = 1, kernels: Kernels
    ) -> [Float] {
        let qDim = heads * headDimension
        var output = [Float](repeating: .nan, count: tokens * qDim)
        cache.withPages { pages in
            for thread in 0..<threads {
                Attention.attendTiled(
                    query: query, queryStride: qDim, keys: cache.keys, values: cache.values, pages: pages,
                    firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads, headDimension: headDimension,
                    output: &output, outputStride: qDim, thread: thread, threadCount: threads, kernels: kernels)
            }
        }
        return output
    }

    @Test("every path matches f64 softmax attention to f32 accuracy", arguments: KernelPath.available, shapes)
    func matchesReference(
        path: String, shape: (tokens: Int, firstLength: Int, blockSize: Int, heads: Int, kvHeads: Int, headDimension: Int)
    ) throws {
        let kernels = try #require(Kernels.named(path))
        let (tokens, firstLength, blockSize, heads, kvHeads, headDimension) = shape
        let cache = Cache(length: firstLength + tokens, blockSize: blockSize, row: kvHeads * headDimension, kernels: kernels)
        let query = TestData.floats(tokens * heads * headDimension, seed: 21, scale: 1.5)
        let output = Self.tiled(
            query: query, cache: cache, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, kernels: kernels)
        let expected = Self.reference(
            query: query, cache: cache, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension)
        // Each output is a convex combination of values (|v| <= 4 here). f32 scores err by at most
        // about D · 2^-24 · Σ|q·k| · scale (~3e-6 for these data), which the softmax weights carry
        // as relative error, plus 2 ulp from e^x: at most ~2e-5 of the largest value. The
        // one-query kernel's f16 sums err by ~1e-3 and would fail this. Measured: below 1e-6.
        let largest = cache.values.map { abs(Float(Float16(bitPattern: $0))) }.max()!
        let worst = zip(output, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst <= 1e-5 * Double(largest), "\(path) \(shape): largest error \(worst)")
    }

    @Test("a token's result is the same bits however the chunk is split", arguments: KernelPath.available)
    func independentOfSplit(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        let (tokens, firstLength, heads, kvHeads, headDimension) = (90, 20, 9, 3, 64)
        let qDim = heads * headDimension
        let cache = Cache(length: firstLength + tokens, blockSize: 16, row: kvHeads * headDimension, kernels: kernels)
        let query = TestData.floats(tokens * qDim, seed: 22, scale: 1.5)
        let whole = Self.tiled(
            query: query, cache: cache, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, kernels: kernels)
        for threads in [2, 3, 7] {
            let split = Self.tiled(
                query: query, cache: cache, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
                headDimension: headDimension, threads: threads, kernels: kernels)
            #expect(split.map(\.bitPattern) == whole.map(\.bitPattern), "\(path), \(threads) threads")
        }
        // Two chunks, the second after the first's cached positions (chunked prefill).
        let cut = 37
        let head = Self.tiled(
            query: Array(query[..<(cut * qDim)]), cache: cache, firstLength: firstLength, tokens: cut, heads: heads,
            kvHeads: kvHeads, headDimension: headDimension, kernels: kernels)
        let tail = Self.tiled(
            query: Array(query[(cut * qDim)...]), cache: cache, firstLength: firstLength + cut, tokens: tokens - cut,
            heads: heads, kvHeads: kvHeads, headDimension: headDimension, kernels: kernels)
        #expect((head + tail).map(\.bitPattern) == whole.map(\.bitPattern), "\(path), two chunks")
    }

    @Test("heads over 128 take the one-query kernel per row", arguments: KernelPath.available)
    func largeHeadsFallBack(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        let (tokens, firstLength, heads, kvHeads, headDimension) = (5, 3, 4, 2, 160)
        let qDim = heads * headDimension
        let cache = Cache(length: firstLength + tokens, blockSize: 4, row: kvHeads * headDimension, kernels: kernels)
        let query = TestData.floats(tokens * qDim, seed: 23)
        let output = Self.tiled(
            query: query, cache: cache, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, threads: 2, kernels: kernels)
        let expected = cache.attendEachToken(
            query: query, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, kernels: kernels)
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "\(path)")
    }

    @Test("e^x is within 2 ulp on [-87, 0], 1 at 0, and 0 for masked scores", arguments: KernelPath.available)
    func exponential(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        let x = (0...2000).map { -87 * Float($0) / 2000 } + [-1e-30, -0.5, -0.6931472, -20.25]
        let y = Attention.exponential(x, kernels: kernels)
        for (input, result) in zip(x, y) {
            let exact = exp(Double(input))
            let ulp = Double(Float(exact).ulp)
            #expect(abs(Double(result) - exact) <= 2 * ulp, "\(path): e^\(input) = \(result), exactly \(exact)")
        }
        #expect(Attention.exponential([0, -0.0], kernels: kernels) == [1, 1])
        #expect(Attention.exponential([-.infinity, -200, -1e30], kernels: kernels) == [0, 0, 0])
    }
}
