import Testing
@testable import TernKernels

@Suite("Matrix products")
struct MatMulTests {
    struct Shape: CustomStringConvertible, Sendable {
        let rows: Int, columns: Int, batch: Int, threads: Int
        var description: String { "\(rows)x\(columns) batch \(batch) threads \(threads)" }
    }

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

    /// Runs `MatMul.multiply` on `kernels` and the reference; expects agreement
    /// up to f32 summation order.
    private func check(format: WeightFormat, shape: Shape, kernels: KernelTable) throws {
        let (rows, columns, batch) = (shape.rows, shape.columns, shape.batch)
        let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 21)
        let input = TestData.floats(batch * columns, seed: 22)
        var expected = [Float](repeating: 0, count: batch * rows)
        ReferenceKernels.multiply(
            weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
            output: &expected)

        // Magnitude of the terms, for a tolerance relative to what was summed.
        var dequantized = [Float](repeating: 0, count: rows * columns)
        ReferenceKernels.dequantizeRow(format: format, source: weights, destination: &dequantized, count: rows * columns)

        let pool = ThreadPool(threadCount: shape.threads)
        var scratch = [UInt64](repeating: 0, count: MatMul.scratchBytes(format: format, columns: columns, batch: batch) / 8 + 1)
        var output = [Float](repeating: .nan, count: batch * rows)
        scratch.withUnsafeMutableBytes { scratch in
            MatMul.multiply(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                output: &output, scratch: scratch.baseAddress!, pool: pool, kernels: kernels)
        }
        for b in 0..<batch {
            for r in 0..<rows {
                var magnitude: Float = 0
                for c in 0..<columns { magnitude += abs(dequantized[r * columns + c] * input[b * columns + c]) }
                let got = output[b * rows + r], want = expected[b * rows + r]
                #expect(
                    abs(got - want) <= magnitude * 2e-5 + 1e-6,
                    "\(kernels.name) \(format) \(shape) [\(b), \(r)]: \(got) vs reference \(want)")
            }
        }
    }

    @Test("Every kernel path matches the reference", arguments: formats, shapes)
    func pathsMatchReference(format: WeightFormat, shape: Shape) throws {
        for kernels in KernelTable.available {
            try check(format: format, shape: shape, kernels: kernels)
        }
    }

    @Test("Float activations: every path equals the f32 product of the dequantized weights", arguments: formats)
    func floatActivations(format: WeightFormat) throws {
        for kernels in KernelTable.available {
            for shape in [Shape(rows: 7, columns: 64, batch: 3, threads: 2), Shape(rows: 33, columns: 320, batch: 5, threads: 1),
                          Shape(rows: 16, columns: 512, batch: 1, threads: 2)] {
                let (rows, columns, batch) = (shape.rows, shape.columns, shape.batch)
                let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 31)
                let input = TestData.floats(batch * columns, seed: 32)
                var dequantized = [Float](repeating: 0, count: rows * columns)
                ReferenceKernels.dequantizeRow(format: format, source: weights, destination: &dequantized, count: rows * columns)
                let pool = ThreadPool(threadCount: shape.threads)
                var output = [Float](repeating: .nan, count: batch * rows)
                var scratch: UInt64 = 0
                MatMul.multiply(
                    weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                    output: &output, scratch: &scratch, pool: pool, kernels: kernels, activations: .float)
                for b in 0..<batch {
                    for r in 0..<rows {
                        var exact: Double = 0, magnitude: Float = 0
                        for c in 0..<columns {
                            exact += Double(dequantized[r * columns + c]) * Double(input[b * columns + c])
                            magnitude += abs(dequantized[r * columns + c] * input[b * columns + c])
                        }
                        #expect(abs(Double(output[b * rows + r]) - exact) <= Double(magnitude) * 1e-5 + 1e-6,
                                "\(kernels.name) \(format) \(shape) [\(b), \(r)]: \(output[b * rows + r]) vs \(exact)")
                    }
                }
            }
        }
    }

    @Test("Float rows need not be whole vectors", arguments: [WeightFormat.f32, .f16, .bf16])
    func oddFloatColumns(format: WeightFormat) throws {
        for kernels in KernelTable.available {
            try check(format: format, shape: Shape(rows: 5, columns: 45, batch: 6, threads: 2), kernels: kernels)
        }
    }

    @Test("The reference dot product equals the f32 dot of the dequantized row, up to activation rounding",
          arguments: [WeightFormat.q4_0, .q4_1, .q8_0, .q8_1])
    func referenceDotMatchesDequantized(format: WeightFormat) {
        let columns = 256
        let row = TestData.packedWeights(format: format, rows: 1, columns: columns, seed: 31)
        let x = TestData.floats(columns, seed: 32)
        var w = [Float](repeating: 0, count: columns)
        ReferenceKernels.dequantizeRow(format: format, source: row, destination: &w, count: columns)
        var exact: Float = 0
        var bound: Float = 1e-5
        for block in 0..<columns / 32 {
            // Each activation moves by at most half its block's step (amax / 127) when quantized.
            let step = (block * 32..<block * 32 + 32).map { abs(x[$0]) }.max()! / 127
            for c in block * 32..<block * 32 + 32 {
                exact += w[c] * x[c]
                bound += abs(w[c]) * step * 0.5 * 1.01
            }
        }
        let dot = ReferenceKernels.dot(format: format, row: row, activations: x, count: columns)
        #expect(abs(dot - exact) <= bound, "\(format): \(dot) vs \(exact)")
        #expect(abs(dot - exact) > 0, "activations are quantized, so the two should differ a little")
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
