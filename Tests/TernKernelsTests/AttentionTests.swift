import Foundation
import Testing
@testable import TernKernels

@Suite("Attention over an f16 cache")
struct AttentionTests {
    /// The reference, written plainly: llama.cpp's flash-attention arithmetic with
    /// Float16 standing in for its f16 rounding (query, cache, running sum of values).
    static func reference(
        query: [Float], keys: [Float], values: [Float], length: Int, heads: Int, kvHeads: Int, headDimension: Int
    ) -> [Float] {
        let group = heads / kvHeads, stride = kvHeads * headDimension
        let scale = 1 / Float(headDimension).squareRoot()
        func half(_ x: Float) -> Float { Float(Float16(x)) }
        var output = [Float](repeating: 0, count: heads * headDimension)
        for h in 0..<heads {
            let kv = (h / group) * headDimension
            var sum = [Float](repeating: 0, count: headDimension)
            var maximum = -Float.infinity, total: Float = 0
            for t in 0..<length {
                var dot: Float = 0
                for i in 0..<headDimension { dot += half(query[h * headDimension + i]) * half(keys[t * stride + kv + i]) }
                let s = dot * scale
                var rescale: Float = 1, weight: Float = 1
                if s > maximum {
                    rescale = exp(maximum - s)
                    maximum = s
                    sum = sum.map { half($0 * rescale) }
                } else {
                    weight = exp(s - maximum)
                }
                for i in 0..<headDimension { sum[i] = half(sum[i] + half(values[t * stride + kv + i]) * weight) }
                total = total * rescale + weight
            }
            for i in 0..<headDimension { output[h * headDimension + i] = sum[i] / total }
        }
        return output
    }

    @Test("every kernel path matches the reference", arguments: KernelPath.available, [(1, 4, 4, 16), (7, 6, 2, 32), (33, 9, 3, 64), (5, 2, 1, 12), (150, 3, 1, 64), (70, 4, 2, 128)])
    func matchesReference(path: String, shape: (length: Int, heads: Int, kvHeads: Int, headDimension: Int)) throws {
        let kernels = try #require(Kernels.named(path))
        let (length, heads, kvHeads, headDimension) = shape
        let query = TestData.floats(heads * headDimension, seed: 1)
        let keys = TestData.floats(length * kvHeads * headDimension, seed: 2)
        let values = TestData.floats(length * kvHeads * headDimension, seed: 3)
        var keysHalf = [UInt16](repeating: 0, count: keys.count), valuesHalf = keysHalf
        Attention.convertToHalf(keys, &keysHalf, count: keys.count, kernels: kernels)
        Attention.convertToHalf(values, &valuesHalf, count: values.count, kernels: kernels)
        #expect(keysHalf == keys.map { Float16($0).bitPattern }, "f16 conversion rounds to nearest even")

        var output = [Float](repeating: .nan, count: heads * headDimension)
        Attention.attend(
            query: query, keys: keysHalf, values: valuesHalf, length: length, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, output: &output, headRange: 0..<heads, kernels: kernels)
        let expected = Self.reference(
            query: query, keys: keys, values: values, length: length, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension)
        for i in output.indices {
            // f16 accumulation: one f16 ulp (2^-10 relative) covers fused vs separate multiply-add.
            #expect(abs(output[i] - expected[i]) <= 2e-3 * max(1, abs(expected[i])), "\(path) element \(i): \(output[i]) vs \(expected[i])")
        }
    }

    @Test("a paged cache gives exactly the contiguous result", arguments: KernelPath.available, [(150, 16), (70, 5), (64, 64), (3, 1)])
    func pagedEqualsContiguous(path: String, paging: (length: Int, blockSize: Int)) throws {
        let kernels = try #require(Kernels.named(path))
        let (length, blockSize) = paging
        let heads = 6, kvHeads = 2, headDimension = 64, row = kvHeads * headDimension
        let query = TestData.floats(heads * headDimension, seed: 4)
        var keys = [UInt16](repeating: 0, count: length * row), values = keys
        Attention.convertToHalf(TestData.floats(length * row, seed: 5), &keys, count: keys.count, kernels: kernels)
        Attention.convertToHalf(TestData.floats(length * row, seed: 6), &values, count: values.count, kernels: kernels)

        // Scatter the positions into blocks in reverse order, with a spare block in between.
        let blocks = (length + blockSize - 1) / blockSize, total = 2 * blocks + 1
        let table = (0..<blocks).map { Int32(total - 1 - 2 * $0) }
        var pagedKeys = [UInt16](repeating: 0xFFFF, count: total * blockSize * row), pagedValues = pagedKeys
        for t in 0..<length {
            let base = (Int(table[t / blockSize]) * blockSize + t % blockSize) * row
            for i in 0..<row {
                pagedKeys[base + i] = keys[t * row + i]
                pagedValues[base + i] = values[t * row + i]
            }
        }
        var contiguous = [Float](repeating: .nan, count: heads * headDimension), paged = contiguous
        Attention.attend(
            query: query, keys: keys, values: values, length: length, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, output: &contiguous, headRange: 0..<heads, kernels: kernels)
        table.withUnsafeBufferPointer { t in
            Attention.attend(
                query: query, keys: pagedKeys, values: pagedValues,
                pages: .init(table: t.baseAddress!, blockSize: blockSize, blockStride: blockSize * row),
                length: length, heads: heads, kvHeads: kvHeads, headDimension: headDimension, output: &paged,
                headRange: 0..<heads, kernels: kernels)
        }
        #expect(paged == contiguous)
    }
}
