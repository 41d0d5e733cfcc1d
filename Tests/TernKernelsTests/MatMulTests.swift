import Testing
@testable import TernKernels

@Suite("Matrix products")
struct MatMulTests {
    typealias Shape = MatMulShape

    static let shapes = [
        Shape(rows: 1, columns: 32, batch: 1, threads: 1),
        Shape(rows: 7, columns: 96, batch: 1, threads: 2),
        Shape(rows: 33, columns: 256, batch: 1, threads: 1),
        Shape(rows: 33, columns: 160, batch: 3, threads: 2),
        Shape(rows: 2, columns: 64, batch: 5, threads: 3),
        Shape(rows: 37, columns: 64, batch: 9, threads: 2),
        Shape(rows: 5, columns: 1024, batch: 1, threads: 2),  // long rows: the one-row q4 kernel
    ]

    static let formats: [WeightFormat] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q8_1]

    @Test("Every kernel path matches the reference", arguments: formats, shapes)
    func pathsMatchReference(format: WeightFormat, shape: Shape) {
        MatMulChecks.expectPathsMatchReference(format: format, shape: shape, seeds: (21, 22))
    }

    @Test("Float activations: every path equals the f32 product of the dequantized weights", arguments: formats)
    func floatActivations(format: WeightFormat) {
        for shape in [Shape(rows: 7, columns: 64, batch: 3, threads: 2), Shape(rows: 33, columns: 320, batch: 5, threads: 1),
                      Shape(rows: 16, columns: 512, batch: 1, threads: 2)] {
            MatMulChecks.expectFloatActivationsExact(format: format, shape: shape, seeds: (31, 32))
        }
    }

    @Test("Float rows need not be whole vectors", arguments: [WeightFormat.f32, .f16, .bf16])
    func oddFloatColumns(format: WeightFormat) {
        MatMulChecks.expectPathsMatchReference(
            format: format, shape: Shape(rows: 5, columns: 45, batch: 6, threads: 2), seeds: (21, 22))
    }

    @Test("The reference dot product equals the f32 dot of the dequantized row, up to activation rounding",
          arguments: [WeightFormat.q4_0, .q4_1, .q8_0, .q8_1])
    func referenceDotMatchesDequantized(format: WeightFormat) {
        MatMulChecks.expectReferenceDotMatchesDequantized(format: format, columns: 256, activationBlock: 32, seeds: (31, 32))
    }

    @Test("The public entry point uses the active path")
    func publicEntryPoint() {
        #expect(KernelPath.available.contains(KernelPath.active))
        #expect(KernelPath.available.contains("portable"))
        let weights = TestData.packedWeights(format: .q4_1, rows: 3, columns: 64, seed: 1)
        let input = TestData.floats(64, seed: 2)
        var scratch = [UInt64](repeating: 0, count: MatMul.scratchBytes(format: .q4_1, columns: 64, batch: 1) / 8)
        var output = [Float](repeating: .nan, count: 3)
        var expected = [Float](repeating: 0, count: 3)
        scratch.withUnsafeMutableBytes { scratch in
            MatMul.multiply(
                weights: weights, format: .q4_1, rows: 3, columns: 64, input: input, batch: 1, output: &output,
                scratch: scratch.baseAddress!, pool: ThreadPool(threadCount: 1))
        }
        ReferenceKernels.multiply(
            weights: weights, format: .q4_1, rows: 3, columns: 64, input: input, batch: 1, output: &expected)
        for r in 0..<3 { #expect(abs(output[r] - expected[r]) <= 1e-4 * max(1, abs(expected[r]))) }
    }

    @Test("Scratch is the quantized input for quantized weights, none for float weights")
    func scratchSizes() {
        #expect(MatMul.scratchBytes(format: .f32, columns: 576, batch: 4) == 0)
        #expect(MatMul.scratchBytes(format: .bf16, columns: 576, batch: 4) == 0)
        #expect(MatMul.scratchBytes(format: .q4_1, columns: 576, batch: 1) == 18 * 40)
        #expect(MatMul.scratchBytes(format: .q8_0, columns: 576, batch: 3) == 3 * 18 * 40)
    }
}
