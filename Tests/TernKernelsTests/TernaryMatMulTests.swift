import Testing
@testable import TernKernels

@Suite("Ternary formats: matrix products")
struct TernaryMatMulTests {
    struct Case: CustomStringConvertible, Sendable {
        let format: WeightFormat, rows: Int, columns: Int, batch: Int, threads: Int
        var description: String { "\(format) \(rows)x\(columns) batch \(batch) threads \(threads)" }
    }

    static let cases: [Case] = [
        Case(format: .tq2_0, rows: 1, columns: 256, batch: 1, threads: 1),
        Case(format: .tq2_0, rows: 33, columns: 768, batch: 1, threads: 2),
        Case(format: .tq2_0, rows: 9, columns: 512, batch: 6, threads: 2),
        Case(format: .tq1_0, rows: 5, columns: 256, batch: 1, threads: 1),
        Case(format: .tq1_0, rows: 17, columns: 768, batch: 1, threads: 2),
        Case(format: .tq1_0, rows: 6, columns: 512, batch: 9, threads: 1),
        Case(format: .t2_64, rows: 1, columns: 64, batch: 1, threads: 1),
        Case(format: .t2_64, rows: 31, columns: 576, batch: 1, threads: 2),  // the default model's width: 9 blocks
        Case(format: .t2_64, rows: 7, columns: 192, batch: 2, threads: 1),
        Case(format: .t2_64, rows: 13, columns: 320, batch: 5, threads: 2),
        // Eight-row groups (x86): 1536 columns is ffn_down's width; 43 rows leave a 3-row tail.
        Case(format: .t2_64, rows: 43, columns: 1536, batch: 1, threads: 1),
        Case(format: .t2_64, rows: 70, columns: 576, batch: 1, threads: 2),
    ]

    private func product(
        _ c: Case, weights: [UInt8], input: [Float], kernels: KernelTable, activations: MatMul.Activations = .int8
    ) -> [Float] {
        let pool = ThreadPool(threadCount: c.threads)
        let words = MatMul.scratchBytes(format: c.format, columns: c.columns, batch: c.batch) / 8 + 1
        var scratch = [UInt64](repeating: 0, count: words)
        var output = [Float](repeating: .nan, count: c.batch * c.rows)
        scratch.withUnsafeMutableBytes { scratch in
            MatMul.multiply(
                weights: weights, format: c.format, rows: c.rows, columns: c.columns, input: input, batch: c.batch,
                output: &output, scratch: scratch.baseAddress!, pool: pool, kernels: kernels, activations: activations)
        }
        return output
    }

    /// The f32 weights and Σ|w · x| per output, for tolerances relative to what was summed.
    private func magnitudes(_ c: Case, weights: [UInt8], input: [Float]) -> (w: [Float], sums: [Float]) {
        var w = [Float](repeating: 0, count: c.rows * c.columns)
        ReferenceKernels.dequantizeRow(format: c.format, source: weights, destination: &w, count: c.rows * c.columns)
        var sums = [Float](repeating: 0, count: c.batch * c.rows)
        for b in 0..<c.batch {
            for r in 0..<c.rows {
                for k in 0..<c.columns { sums[b * c.rows + r] += abs(w[r * c.columns + k] * input[b * c.columns + k]) }
            }
        }
        return (w, sums)
    }

    @Test("Every kernel path matches the reference", arguments: cases)
    func pathsMatchReference(c: Case) {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 61)
        let input = TestData.floats(c.batch * c.columns, seed: 62)
        var expected = [Float](repeating: 0, count: c.batch * c.rows)
        ReferenceKernels.multiply(
            weights: weights, format: c.format, rows: c.rows, columns: c.columns, input: input, batch: c.batch,
            output: &expected)
        let sums = magnitudes(c, weights: weights, input: input).sums
        for kernels in KernelTable.available {
            let got = product(c, weights: weights, input: input, kernels: kernels)
            for i in 0..<got.count {
                #expect(abs(got[i] - expected[i]) <= sums[i] * 2e-5 + 1e-6, "\(kernels.name) \(c) [\(i)]: \(got[i]) vs \(expected[i])")
            }
        }
    }

    @Test("Arbitrary t2_64 bytes (code 3 included) give the reference's products on every path")
    func arbitraryBytes() {
        let c = Case(format: .t2_64, rows: 24, columns: 640, batch: 1, threads: 1)
        var random = SeededGenerator(seed: 67)
        var weights = (0..<c.rows * 10 * 18).map { _ in UInt8.random(in: 0...255, using: &random) }
        for block in 0..<c.rows * 10 {
            // Finite f16 scales in 2^-8...2^-1 (exponent bits 7...14), any sign and mantissa.
            weights[18 * block + 1] = (weights[18 * block + 1] & 0x83) | UInt8.random(in: 7...14, using: &random) << 2
        }
        for j in 2..<18 { weights[j] = 0xff }  // row 0, block 0: all codes 3, the largest sums
        let input = TestData.floats(c.columns, seed: 68)
        var expected = [Float](repeating: 0, count: c.rows)
        ReferenceKernels.multiply(
            weights: weights, format: c.format, rows: c.rows, columns: c.columns, input: input, batch: 1,
            output: &expected)
        let sums = magnitudes(c, weights: weights, input: input).sums
        for kernels in KernelTable.available {
            let got = product(c, weights: weights, input: input, kernels: kernels)
            for i in 0..<got.count {
                #expect(abs(got[i] - expected[i]) <= sums[i] * 2e-5 + 1e-6, "\(kernels.name) [\(i)]: \(got[i]) vs \(expected[i])")
            }
        }
    }

    @Test("Float activations: every path equals the f32 product of the dequantized weights", arguments: cases)
    func floatActivations(c: Case) {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 63)
        let input = TestData.floats(c.batch * c.columns, seed: 64)
        let (w, sums) = magnitudes(c, weights: weights, input: input)
        for kernels in KernelTable.available {
            let got = product(c, weights: weights, input: input, kernels: kernels, activations: .float)
            for b in 0..<c.batch {
                for r in 0..<c.rows {
                    var exact: Double = 0
                    for k in 0..<c.columns { exact += Double(w[r * c.columns + k]) * Double(input[b * c.columns + k]) }
                    let i = b * c.rows + r
                    #expect(abs(Double(got[i]) - exact) <= Double(sums[i]) * 1e-5 + 1e-6, "\(kernels.name) \(c) [\(i)]")
                }
            }
        }
    }

    @Test("The reference dot equals the f32 dot of the dequantized row, up to activation rounding",
          arguments: [WeightFormat.tq1_0, .tq2_0, .t2_64])
    func referenceDot(format: WeightFormat) {
        let columns = 512
        let row = TestData.packedWeights(format: format, rows: 1, columns: columns, seed: 65)
        let x = TestData.floats(columns, seed: 66)
        var w = [Float](repeating: 0, count: columns)
        ReferenceKernels.dequantizeRow(format: format, source: row, destination: &w, count: columns)
        var exact: Float = 0
        var bound: Float = 1e-5
        let n = format.blockSize
        for block in 0..<columns / n {
            // Activations share one int8 scale per weight block: each moves by at most half a step.
            let step = (block * n..<block * n + n).map { abs(x[$0]) }.max()! / 127
            for k in block * n..<block * n + n {
                exact += w[k] * x[k]
                bound += abs(w[k]) * step * 0.5 * 1.01
            }
        }
        let dot = ReferenceKernels.dot(format: format, row: row, activations: x, count: columns)
        #expect(abs(dot - exact) <= bound, "\(format): \(dot) vs \(exact)")
        #expect(abs(dot - exact) > 0, "activations are quantized, so the two should differ a little")
    }

    @Test("Scratch holds 40 bytes per 32 inputs, as for the other quantized formats")
    func scratch() {
        #expect(MatMul.scratchBytes(format: .t2_64, columns: 576, batch: 2) == 2 * 18 * 40)
        #expect(MatMul.scratchBytes(format: .tq2_0, columns: 1536, batch: 1) == 48 * 40)
    }
}
