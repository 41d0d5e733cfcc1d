import Foundation
import Testing
@testable import TernKernels

@Suite("Attention of several tokens at once")
struct AttentionTokensTests {
    typealias Cache = PagedCache

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
        let expected = cache.attendEachToken(
            query: query, firstLength: firstLength, tokens: tokens, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, kernels: kernels)
        var output = [Float](repeating: .nan, count: tokens * qDim)
        cache.withPages { pages in
            query.withUnsafeBufferPointer { q in
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
