import Testing
@testable import TernKernels

@Suite("FP4 matrix products (mxfp4, nvfp4)")
struct FP4MatMulTests {
    typealias Shape = MatMulShape

    static let formats: [WeightFormat] = [.mxfp4, .nvfp4]

    // Columns are multiples of 64 (nvfp4's block). 576 columns take the x86
    // two-row path for mxfp4 (odd row counts leave a single row), 1536 the long-row
    // one; batches of 4 and more take the four-vector path, with a remainder.
    static let shapes = [
        Shape(rows: 1, columns: 64, batch: 1, threads: 1),
        Shape(rows: 7, columns: 128, batch: 1, threads: 2),
        Shape(rows: 33, columns: 576, batch: 1, threads: 1),
        Shape(rows: 5, columns: 1536, batch: 1, threads: 2),
        Shape(rows: 9, columns: 192, batch: 5, threads: 2),
        Shape(rows: 37, columns: 64, batch: 9, threads: 2),
        Shape(rows: 6, columns: 320, batch: 4, threads: 1),
        Shape(rows: 3, columns: 576, batch: 2, threads: 1),
    ]

    // mxfp4 rows with an odd number of blocks: x86 works on pairs of blocks and
    // pairs the last one with zeros (one row, two rows, and four vectors at once).
    static let oddShapes = [
        Shape(rows: 3, columns: 32, batch: 1, threads: 1),
        Shape(rows: 5, columns: 96, batch: 1, threads: 1),
        Shape(rows: 9, columns: 544, batch: 1, threads: 2),
        Shape(rows: 4, columns: 1056, batch: 1, threads: 1),
        Shape(rows: 6, columns: 160, batch: 6, threads: 2),
    ]

    @Test("mxfp4 rows of an odd number of blocks match the reference on every path", arguments: oddShapes)
    func oddBlockCounts(shape: Shape) {
        pathsMatchReference(format: .mxfp4, shape: shape)
    }

    /// Runs `MatMul.multiply` on every path and expects the reference's result up
    /// to f32 summation order, relative to Σ |w · x|.
    @Test("Every kernel path matches the reference", arguments: formats, shapes)
    func pathsMatchReference(format: WeightFormat, shape: Shape) {
        MatMulChecks.expectPathsMatchReference(format: format, shape: shape, seeds: (51, 52))
    }

    @Test("Float activations: every path equals the f32 product of the dequantized weights", arguments: formats)
    func floatActivations(format: WeightFormat) {
        MatMulChecks.expectFloatActivationsExact(
            format: format, shape: Shape(rows: 9, columns: 320, batch: 3, threads: 2), seeds: (53, 54))
    }

    @Test("The reference dot product is the f32 dot of the dequantized row, up to activation rounding",
          arguments: formats)
    func referenceDot(format: WeightFormat) {
        MatMulChecks.expectReferenceDotMatchesDequantized(format: format, columns: 256, activationBlock: 32, seeds: (55, 56))
    }

    @Test("Extreme scales multiply like the reference: e = 0 and 254, subnormal and largest UE4M3")
    func extremeScales() {
        let columns = 128
        var random = SeededGenerator(seed: 57)
        // Random codes with chosen scales (the quantizer would not pick these).
        var mxfp4 = (0..<columns / 32 * 17).map { _ in UInt8.random(in: 0...255, using: &random) }
        for (i, e) in [UInt8(0), 1, 140, 100].enumerated() { mxfp4[i * 17] = e }
        var nvfp4 = (0..<columns / 64 * 36).map { _ in UInt8.random(in: 0...255, using: &random) }
        for (i, d) in [UInt8(0x01), 0x7e, 0x7f, 0xff, 0x00, 0x38, 0x80, 0x07].enumerated() { nvfp4[i / 4 * 36 + i % 4] = d }
        let input = TestData.floats(5 * columns, seed: 58)
        for (format, weights) in [(WeightFormat.mxfp4, mxfp4), (.nvfp4, nvfp4)] {
            var expected = [Float](repeating: 0, count: 5)
            ReferenceKernels.multiply(
                weights: weights, format: format, rows: 1, columns: columns, input: input, batch: 5, output: &expected)
            let magnitudes = MatMulChecks.magnitudes(
                weights: weights, format: format, rows: 1, columns: columns, input: input, batch: 5).sums
            for kernels in KernelTable.available {
                let output = MatMulChecks.product(
                    weights: weights, format: format, rows: 1, columns: columns, input: input, batch: 5, threads: 1,
                    kernels: kernels)
                for b in 0..<5 {
                    #expect(abs(output[b] - expected[b]) <= magnitudes[b] * 2e-5 + 1e-6, "\(kernels.name) \(format) \(b)")
                }
            }
        }
    }
}

extension FP4MatMulTests {
    @Test("Every kernel path prepares FP4 activations bit-identically, reordered copy included", arguments: formats)
    func preparedActivationsAgree(format: WeightFormat) {
        let columns = format == .mxfp4 ? 32 * 9 : 64 * 5  // an odd block count pads mxfp4's last pair
        var values = TestData.floats(columns, seed: 59, scale: 3)
        values[0] = 127  // exact rounding ties, as in the other formats' test
        values[1] = 2.5
        values[2] = -3.5
        let portable = KernelTable.named("portable")!
        let bytes = portable.preparedBytes(Int32(format.rawValue), Int64(columns))
        #expect(bytes > columns / 32 * 40, "the reordered copy follows the prepared blocks")
        var expected = [UInt8](repeating: 0, count: bytes)
        portable.prepare(Int32(format.rawValue), values, Int64(columns), &expected)
        for path in KernelTable.available {
            var got = [UInt8](repeating: 0xff, count: bytes)
            path.prepare(Int32(format.rawValue), values, Int64(columns), &got)
            #expect(got == expected, "\(path.name) prepares \(format) activations differently")
        }
    }
}
