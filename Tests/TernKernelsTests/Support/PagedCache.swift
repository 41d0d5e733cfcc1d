@testable import TernKernels

/// A paged f16 cache of `length` positions with random keys and values, blocks in reverse
/// order, for the attention suites.
struct PagedCache {
    var keys: [UInt16], values: [UInt16], table: [Int32]
    let blockSize: Int, row: Int

    init(length: Int, blockSize: Int, row: Int, kernels: Kernels) {
        self.blockSize = blockSize
        self.row = row
        let blocks = (length + blockSize - 1) / blockSize, total = 2 * blocks + 1
        table = (0..<blocks).map { Int32(total - 1 - 2 * $0) }
        var k = [UInt16](repeating: 0, count: total * blockSize * row), v = k
        Attention.convertToHalf(TestData.floats(k.count, seed: 11, scale: 2), &k, count: k.count, kernels: kernels)
        Attention.convertToHalf(TestData.floats(v.count, seed: 12), &v, count: v.count, kernels: kernels)
        keys = k
        values = v
    }

    /// Calls `body` with the block table as the kernels take it.
    func withPages<Result>(_ body: (Attention.Pages) -> Result) -> Result {
        table.withUnsafeBufferPointer { t in
            body(Attention.Pages(table: t.baseAddress!, blockSize: blockSize, blockStride: blockSize * row))
        }
    }

    /// Attention of `tokens` queries (tokens, heads × headDimension), token j over positions
    /// `0..<firstLength + j`, by one call of the one-query kernel per token.
    func attendEachToken(
        query: [Float], firstLength: Int, tokens: Int, heads: Int, kvHeads: Int, headDimension: Int, kernels: Kernels
    ) -> [Float] {
        let qDim = heads * headDimension
        var output = [Float](repeating: .nan, count: tokens * qDim)
        withPages { pages in
            query.withUnsafeBufferPointer { q in
                output.withUnsafeMutableBufferPointer { o in
                    for token in 0..<tokens {
                        Attention.attend(
                            query: q.baseAddress! + token * qDim, keys: keys, values: values, pages: pages,
                            length: firstLength + token, heads: heads, kvHeads: kvHeads, headDimension: headDimension,
                            output: o.baseAddress! + token * qDim, headRange: 0..<heads, kernels: kernels)
                    }
                }
            }
        }
        return output
    }
}
