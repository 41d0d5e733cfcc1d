import Testing
@testable import TernKernels

@Suite("Ternary formats: matrix products")
struct TernaryMatMulTests {
    typealias Case = MatMulCase

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

    @Test("Every kernel path matches the reference", arguments: cases)
    func pathsMatchReference(c: Case) {
        MatMulChecks.expectPathsMatchReference(format: c.format, shape: c.shape, seeds: (61, 62))
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
        let sums = MatMulChecks.magnitudes(
            weights: weights, format: c.format, rows: c.rows, columns: c.columns, input: input, batch: 1).sums
        for kernels in KernelTable.available {
            let got = MatMulChecks.product(
                weights: weights, format: c.format, rows: c.rows, columns: c.columns, input: input, batch: 1, threads: 1,
                kernels: kernels)
            for i in 0..<got.count {
                #expect(abs(got[i] - expected[i]) <= sums[i] * 2e-5 + 1e-6, "\(kernels.name) [\(i)]: \(got[i]) vs \(expected[i])")
            }
        }
    }

    @Test("Float activations: every path equals the f32 product of the dequantized weights", arguments: cases)
    func floatActivations(c: Case) {
        MatMulChecks.expectFloatActivationsExact(format: c.format, shape: c.shape, seeds: (63, 64))
    }

    /// Activations share one int8 scale per weight block.
    @Test("The reference dot equals the f32 dot of the dequantized row, up to activation rounding",
          arguments: [WeightFormat.tq1_0, .tq2_0, .t2_64])
    func referenceDot(format: WeightFormat) {
        MatMulChecks.expectReferenceDotMatchesDequantized(
            format: format, columns: 512, activationBlock: format.blockSize, seeds: (65, 66))
    }

    @Test("Scratch holds 40 bytes per 32 inputs, as for the other quantized formats")
    func scratch() {
        #expect(MatMul.scratchBytes(format: .t2_64, columns: 576, batch: 2) == 2 * 18 * 40)
        #expect(MatMul.scratchBytes(format: .tq2_0, columns: 1536, batch: 1) == 48 * 40)
    }
}
