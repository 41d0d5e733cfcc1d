import Foundation
import Testing
@testable import TernKernels

@Suite("Attention over an f16 cache")
struct AttentionTests {
    /// llama2.c-style reference: query and cache rounded to f16, scores, softmax, weighted sum of values.
    static func reference(
        query: [Float], keys: [Float], values: [Float], length: Int, heads: Int, kvHeads: Int, headDimension: Int
    ) -> [Float] {
        let group = heads / kvHeads, stride = kvHeads * headDimension
        let scale = 1 / Float(headDimension).squareRoot()
        var output = [Float](repeating: 0, count: heads * headDimension)
        for h in 0..<heads {
            let kv = (h / group) * headDimension
            var scores = (0..<length).map { t in
                (0..<headDimension).reduce(Float(0)) { sum, i in
                    sum + Float(Float16(query[h * headDimension + i])) * Float(Float16(keys[t * stride + kv + i]))
                } * scale
            }
            let maximum = scores.max()!
            scores = scores.map { exp($0 - maximum) }
            let total = scores.reduce(0, +)
            for t in 0..<length {
                for i in 0..<headDimension {
                    output[h * headDimension + i] += scores[t] / total * Float(Float16(values[t * stride + kv + i]))
                }
            }
        }
        return output
    }

    @Test("every kernel path matches the reference", arguments: KernelPath.available, [(1, 4, 4, 16), (7, 6, 2, 32), (33, 9, 3, 64), (5, 2, 1, 12)])
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
        var scores = [Float](repeating: 0, count: length)
        Attention.attend(
            query: query, keys: keysHalf, values: valuesHalf, length: length, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension, output: &output, scores: &scores, headRange: 0..<heads, kernels: kernels)
        let expected = Self.reference(
            query: query, keys: keys, values: values, length: length, heads: heads, kvHeads: kvHeads,
            headDimension: headDimension)
        for i in output.indices {
            #expect(abs(output[i] - expected[i]) <= 1e-4, "\(path) element \(i): \(output[i]) vs \(expected[i])")
        }
    }
}
