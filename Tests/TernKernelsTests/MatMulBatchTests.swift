import Testing
@testable import TernKernels

/// Batched products (prefill, batched decode) run register tiles of several rows and
/// vectors; these cases reach every tile edge: batches that are not a multiple of the
/// tile's vectors, row counts and thread splits that leave partial row groups, rows
/// longer than one expanded span, and q8 rows longer than one column chunk.
@Suite("Batched matrix products")
struct MatMulBatchTests {
    static let formats: [WeightFormat] = [.q4_0, .q4_1, .q8_0, .q8_1]

    /// (rows, columns) of the matrices every batch size runs against.
    static let shapes = [(13, 96), (6, 1280), (5, 8256)]

    /// Runs the product of `weights` with the first `batch` vectors of `input` on `kernels`.
    private func product(
        _ weights: [UInt8], format: WeightFormat, rows: Int, columns: Int, input: [Float], batch: Int,
        threads: Int, kernels: KernelTable
    ) -> [Float] {
        MatMulChecks.product(
            weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch, threads: threads,
            kernels: kernels)
    }

    @Test("every batch size from 2 to 17 matches the reference", arguments: formats)
    func batchSizesMatchReference(format: WeightFormat) {
        for (rows, columns) in Self.shapes {
            let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 61)
            let input = TestData.floats(17 * columns, seed: 62)
            var dequantized = [Float](repeating: 0, count: rows * columns)
            ReferenceKernels.dequantizeRow(format: format, source: weights, destination: &dequantized, count: rows * columns)
            var expected = [Float](repeating: 0, count: 17 * rows)
            ReferenceKernels.multiply(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: 17,
                output: &expected)
            for kernels in KernelTable.available {
                for batch in 2...17 {
                    let got = product(
                        weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                        threads: 1 + batch % 3, kernels: kernels)
                    for b in 0..<batch {
                        for r in 0..<rows {
                            var magnitude: Float = 0
                            for c in 0..<columns { magnitude += abs(dequantized[r * columns + c] * input[b * columns + c]) }
                            #expect(
                                abs(got[b * rows + r] - expected[b * rows + r]) <= magnitude * 2e-5 + 1e-6,
                                "\(kernels.name) \(format) \(rows)x\(columns) batch \(batch) [\(b), \(r)]")
                        }
                    }
                }
            }
        }
    }

    @Test("on x86, whole groups of four vectors do not depend on the batch; the rest equal a product alone",
          arguments: formats)
    func batchDoesNotChangeResults(format: WeightFormat) {
        // Whole groups of four vectors go through the tiles, whose order per (row, vector)
        // is fixed (MatMulTileTests); the vectors after the last whole group keep the
        // single-vector arithmetic. Neither depends on the batch or the thread split.
        let x86 = KernelTable.available.filter { $0.name == "avx2" || $0.name == "avx512vnni" }
        for (rows, columns) in Self.shapes {
            let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 71)
            let input = TestData.floats(17 * columns, seed: 72)
            for kernels in x86 {
                for threads in 1...3 {
                    let sixteen = product(
                        weights, format: format, rows: rows, columns: columns, input: input, batch: 16,
                        threads: 1, kernels: kernels)
                    for batch in 2...17 {
                        let got = product(
                            weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                            threads: threads, kernels: kernels)
                        for b in 0..<batch {
                            let expected: ArraySlice<Float>
                            if b < batch / 4 * 4 {
                                expected = sixteen[b * rows..<(b + 1) * rows]
                            } else {
                                let vector = Array(input[b * columns..<(b + 1) * columns])
                                expected = product(
                                    weights, format: format, rows: rows, columns: columns, input: vector, batch: 1,
                                    threads: threads, kernels: kernels)[...]
                            }
                            let same = zip(got[b * rows..<(b + 1) * rows], expected).allSatisfy { $0.bitPattern == $1.bitPattern }
                            #expect(same, "\(kernels.name) \(format) \(rows)x\(columns) batch \(batch) threads \(threads): vector \(b)")
                        }
                    }
                }
            }
        }
    }
}
