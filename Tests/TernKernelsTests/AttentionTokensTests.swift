import Foundation
import Testing
@testable import TernKernels

@Suite("Attention of several tokens at once")
struct AttentionTokensTests {
    /// A paged cache of `length` positions with random keys and values, blocks in reverse order.
    struct Cache {
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
    }

    @Test(
        "equals one call per token and head, bit for bit",
        arguments: KernelPath.available,
        [(1, 1, 16, 9, 3, 64), (5, 4, 16, 9, 3, 64), (40, 5, 7, 9, 3, 64), (100, 3, 128, 8, 2, 128),
         (33, 2, 16, 4, 4, 16), (9, 4, 5, 6, 2, 24), (70, 1, 64, 16, 1, 64)])
    func matchesPerQuery(
        path: String, shape: (firstLength: Int, tokens: Int, blockSize: Int, heads: Int, kvHeads: Int, headDimension: Int)
    ) throws {
        let kernels = try #require(Kernels.named(path))
        let (firstLength, tokens, blockSize, heads, kvHeads, headDimension) = shape
        let qDim = heads * headDimension
        let cache = Cache(length: firstLength + tokens, blockSize: blockSize, row: kvHeads * headDimension, kernels: kernels)
        let query = TestData.floats(tokens * qDim, seed: 13, scale: 1.5)
        var expected = [Float](repeating: .nan, count: tokens * qDim), output = expected
        cache.table.withUnsafeBufferPointer { t in
            let pages = Attention.Pages(table: t.baseAddress!, blockSize: blockSize, blockStride: blockSize * cache.row)
            query.withUnsafeBufferPointer { q in
                expected.withUnsafeMutableBufferPointer { e in
                    for token in 0..<tokens {
                        Attention.attend(
                            query: q.baseAddress! + token * qDim, keys: cache.keys, values: cache.values, pages: pages,
                            length: firstLength + token, heads: heads, kvHeads: kvHeads, headDimension: headDimension,
                            output: e.baseAddress! + token * qDim, headRange: 0..<heads, kernels: kernels)
                    }
                }
                for kvHead in 0..<kvHeads {
                    Attention.attend(
                        query: q.baseAddress!, queryStride: qDim, keys: cache.keys, values: cache.values, pages: pages,
                        firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads, kvHead: kvHead,
                        headDimension: headDimension, output: &output, outputStride: qDim, kernels: kernels)
                }
            }
        }
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "\(path) \(shape)")
    }
}
