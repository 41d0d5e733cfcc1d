import Testing
@testable import TernKernels

@Suite("Grouped matrix products")
struct MatMulGroupTests {
    /// Row counts of the group's matrices (like query, key, value), and the product shape.
    struct Case: CustomStringConvertible, Sendable {
        let rows: [Int], columns: Int, batch: Int, threads: Int
        var description: String { "\(rows)x\(columns) batch \(batch) threads \(threads)" }
    }

    static let cases = [
        Case(rows: [96, 32, 32], columns: 64, batch: 1, threads: 2),
        Case(rows: [7, 40], columns: 96, batch: 1, threads: 1),
        Case(rows: [33, 17, 5], columns: 128, batch: 3, threads: 2),
        Case(rows: [130, 130], columns: 64, batch: 5, threads: 3),
    ]

    /// Runs the grouped product, then each matrix alone, on the same kernels and
    /// input; returns both outputs, the matrices' (batch, rows) results one after another.
    private func compare(
        format: WeightFormat, c: Case, activations: MatMul.Activations, kernels: KernelTable
    ) -> (grouped: [Float], alone: [Float]) {
        let matrices = c.rows.enumerated().map { i, rows in
            TestData.packedWeights(format: format, rows: rows, columns: c.columns, seed: 40 + UInt64(i))
        }
        let weights = matrices.flatMap { $0 }
        let weightOffsets = matrices.indices.map { matrices[..<$0].reduce(0) { $0 + $1.count } }
        let outputOffsets = c.rows.indices.map { c.rows[..<$0].reduce(0, +) * c.batch }
        let input = TestData.floats(c.batch * c.columns, seed: 50)
        let pool = ThreadPool(threadCount: c.threads)
        var scratch = [UInt64](repeating: 0, count: MatMul.scratchBytes(format: format, columns: c.columns, batch: c.batch) / 8 + 1)
        var grouped = [Float](repeating: .nan, count: c.rows.reduce(0, +) * c.batch)
        var alone = grouped
        weights.withUnsafeBytes { w in
            scratch.withUnsafeMutableBytes { scratch in
                grouped.withUnsafeMutableBufferPointer { out in
                    let operands = c.rows.indices.map {
                        MatMul.Operand(
                            weights: w.baseAddress! + weightOffsets[$0], format: format, rows: c.rows[$0],
                            columns: c.columns, output: out.baseAddress! + outputOffsets[$0])
                    }
                    MatMul.multiply(
                        operands[0], operands[1], operands.count > 2 ? operands[2] : nil, input: input, batch: c.batch,
                        scratch: scratch.baseAddress!, pool: pool, kernels: kernels, activations: activations)
                }
                alone.withUnsafeMutableBufferPointer { out in
                    for i in c.rows.indices {
                        MatMul.multiply(
                            weights: w.baseAddress! + weightOffsets[i], format: format, rows: c.rows[i],
                            columns: c.columns, input: input, batch: c.batch, output: out.baseAddress! + outputOffsets[i],
                            scratch: scratch.baseAddress!, pool: pool, kernels: kernels, activations: activations)
                    }
                }
            }
        }
        return (grouped, alone)
    }

    @Test("a grouped product equals separate products bit for bit", arguments: [WeightFormat.q4_1, .q4_0, .q8_0, .f16], cases)
    func matchesSeparateProducts(format: WeightFormat, c: Case) {
        for kernels in KernelTable.available {
            for activations in [MatMul.Activations.int8, .float] {
                let (grouped, alone) = compare(format: format, c: c, activations: activations, kernels: kernels)
                #expect(grouped.map(\.bitPattern) == alone.map(\.bitPattern), "\(kernels.name) \(format) \(c) \(activations)")
                #expect(grouped.allSatisfy { $0.isFinite }, "every row of every matrix was written")
            }
        }
    }
}
