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

    /// Weights for a gated product: `format`'s rows, repacked when `format` is t2_64r.
    private func gatedWeights(_ format: WeightFormat, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
        guard format == .t2_64r else { return TestData.packedWeights(format: format, rows: rows, columns: columns, seed: seed) }
        let t2 = TestData.packedWeights(format: .t2_64, rows: rows, columns: columns, seed: seed)
        var out = [UInt8](repeating: 0, count: TernaryRepacking.repackedBytes(for: .t2_64, rows: rows, columns: columns)!)
        let written = t2.withUnsafeBytes { source in
            out.withUnsafeMutableBytes {
                TernaryRepacking.repack(source.baseAddress!, format: .t2_64, rows: rows, columns: columns, into: $0.baseAddress!)
            }
        }
        precondition(written == .t2_64r)  // the shapes below repack
        return out
    }

    static let gatedCases = [
        Case(rows: [96], columns: 64, batch: 1, threads: 2),
        Case(rows: [200], columns: 128, batch: 1, threads: 3),
        Case(rows: [72], columns: 64, batch: 5, threads: 2),
        Case(rows: [40], columns: 128, batch: 2, threads: 1),
    ]

    @Test("a gated product equals the two products, then the gate over every output, bit for bit",
          arguments: [WeightFormat.q4_1, .q4_0, .t2_64r], gatedCases)
    func gatedMatchesProductsThenGate(format: WeightFormat, c: Case) {
        let rows = c.rows[0]
        let gate = gatedWeights(format, rows: rows, columns: c.columns, seed: 60)
        let up = gatedWeights(format, rows: rows, columns: c.columns, seed: 61)
        let input = TestData.floats(c.batch * c.columns, seed: 62)
        let pool = ThreadPool(threadCount: c.threads)
        let scratchBytes = MatMul.scratchBytes(format: format, columns: c.columns, batch: c.batch)
        var scratch = [UInt64](repeating: 0, count: scratchBytes / 8 + 1)
        // Any elementwise function shows where a range was gated twice or not at all.
        func gating(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, _ count: Int) {
            for i in 0..<count { g[i] = g[i] * 0.75 + u[i] }
        }
        for kernels in KernelTable.available {
            for activations in [MatMul.Activations.int8, .float] {
                var gated = [Float](repeating: .nan, count: rows * c.batch), gatedUp = gated
                var expected = gated, expectedUp = gated
                gate.withUnsafeBytes { g in
                    up.withUnsafeBytes { u in
                        scratch.withUnsafeMutableBytes { scratch in
                            gated.withUnsafeMutableBufferPointer { go in
                                gatedUp.withUnsafeMutableBufferPointer { uo in
                                    MatMul.multiplyGated(
                                        MatMul.Operand(weights: g.baseAddress!, format: format, rows: rows, columns: c.columns, output: go.baseAddress!),
                                        MatMul.Operand(weights: u.baseAddress!, format: format, rows: rows, columns: c.columns, output: uo.baseAddress!),
                                        input: input, batch: c.batch, scratch: scratch.baseAddress!, pool: pool, kernels: kernels,
                                        activations: activations, gating: gating)
                                }
                            }
                            expected.withUnsafeMutableBufferPointer { go in
                                expectedUp.withUnsafeMutableBufferPointer { uo in
                                    for (w, o) in [(g.baseAddress!, go.baseAddress!), (u.baseAddress!, uo.baseAddress!)] {
                                        MatMul.multiply(
                                            weights: w, format: format, rows: rows, columns: c.columns, input: input,
                                            batch: c.batch, output: o, scratch: scratch.baseAddress!, pool: pool, kernels: kernels,
                                            activations: activations)
                                    }
                                    gating(go.baseAddress!, uo.baseAddress!, rows * c.batch)
                                }
                            }
                        }
                    }
                }
                #expect(gated.map(\.bitPattern) == expected.map(\.bitPattern), "\(kernels.name) \(format) \(c) \(activations)")
                #expect(gatedUp.map(\.bitPattern) == expectedUp.map(\.bitPattern), "\(kernels.name) \(format) \(c) up")
                #expect(gated.allSatisfy { $0.isFinite }, "every output was written")
            }
        }
    }

    @Test("t2_64r chunks are whole 32-row groups; other formats' whole groups of eight rows")
    func chunkRowsAlign() {
        for rows in [32, 192, 576, 1536, 49152] {
            #expect(MatMul.chunkRows(rows, format: .t2_64r, threads: 2) % 32 == 0)
            #expect(MatMul.chunkRows(rows, format: .q4_0, threads: 2) % 8 == 0)
            #expect(MatMul.chunkRows(rows, format: .q4_0r, threads: 2) % 8 == 0)
        }
        #expect(MatMul.chunkRows(576, format: .q4_0, threads: 2) == 72)
        #expect(MatMul.chunkRows(576, format: .t2_64r, threads: 2) == 96)
    }
}
