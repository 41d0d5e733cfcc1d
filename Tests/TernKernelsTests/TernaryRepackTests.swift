import Testing
@testable import TernKernels

@Suite("Ternary formats: t2_64, tq1_0 and tq2_0 repacked for lookup-table kernels")
struct TernaryRepackTests {
    typealias Case = MatMulCase

    static let cases: [Case] = [
        Case(format: .t2_64, rows: 32, columns: 64, batch: 1, threads: 1),    // one group, one block
        Case(format: .t2_64, rows: 70, columns: 576, batch: 1, threads: 2),   // two groups and a 6-row tail; the default model's width
        Case(format: .t2_64, rows: 43, columns: 1536, batch: 1, threads: 2),  // ffn_down's width
        Case(format: .t2_64, rows: 96, columns: 192, batch: 6, threads: 2),   // batched: four vectors at once, then two alone
        Case(format: .t2_64, rows: 33, columns: 320, batch: 3, threads: 1),
        Case(format: .tq2_0, rows: 32, columns: 256, batch: 1, threads: 1),
        Case(format: .tq2_0, rows: 70, columns: 512, batch: 2, threads: 2),   // a 6-row tail, converted to t2_64
        Case(format: .tq2_0, rows: 64, columns: 1536, batch: 5, threads: 2),
        Case(format: .tq1_0, rows: 33, columns: 256, batch: 1, threads: 2),
        Case(format: .tq1_0, rows: 96, columns: 768, batch: 4, threads: 2),
        Case(format: .tq1_0, rows: 45, columns: 512, batch: 6, threads: 1),
    ]

    /// `MatMul.multiply` on `kernels` for weights already in `format`.
    private func product(
        _ c: Case, _ format: WeightFormat, _ weights: [UInt8], _ input: [Float], _ kernels: KernelTable,
        _ activations: MatMul.Activations
    ) -> [Float] {
        MatMulChecks.product(
            weights: weights, format: format, rows: c.rows, columns: c.columns, input: input, batch: c.batch,
            threads: c.threads, kernels: kernels, activations: activations)
    }

    private func repacked(_ weights: [UInt8], _ c: Case) -> [UInt8]? {
        guard let bytes = TernaryRepacking.repackedBytes(for: c.format, rows: c.rows, columns: c.columns) else { return nil }
        var out = [UInt8](repeating: 0, count: bytes)
        let format = out.withUnsafeMutableBytes { out in
            TernaryRepacking.repack(weights, format: c.format, rows: c.rows, columns: c.columns, into: out.baseAddress!)
        }
        return format == .t2_64r ? out : nil
    }

    /// The case's weights as t2_64 (tq1_0 and tq2_0 converted by the reference).
    private func asT2(_ weights: [UInt8], _ c: Case) -> [UInt8] {
        c.format == .t2_64 ? weights : ReferenceKernels.ternaryToT2(weights, format: c.format, rows: c.rows, columns: c.columns)
    }

    @Test("Every row expanded from the repacked layout equals the source row expanded, bit for bit", arguments: cases)
    func rowExpansion(c: Case) throws {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 71)
        let packed = try #require(repacked(weights, c))
        var expected = [Float](repeating: 0, count: c.rows * c.columns)
        ReferenceKernels.dequantizeRow(format: c.format, source: weights, destination: &expected, count: expected.count)
        var got = [Float](repeating: .nan, count: expected.count)
        packed.withUnsafeBytes { w in
            got.withUnsafeMutableBufferPointer { out in
                for row in 0..<c.rows {
                    TernaryRepacking.dequantizeRow(
                        ofRepacked: w.baseAddress!, row: row, rows: c.rows, columns: c.columns,
                        into: out.baseAddress! + row * c.columns)
                }
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(expected.contains { $0 != 0 }, "the data must exercise nonzero codes")
    }

    @Test("tq1_0 and tq2_0 convert to t2_64 without changing a value", arguments: cases.filter { $0.format != .t2_64 })
    func lossless(c: Case) {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 70)
        let t2 = asT2(weights, c)
        var original = [Float](repeating: 0, count: c.rows * c.columns), converted = original
        ReferenceKernels.dequantizeRow(format: c.format, source: weights, destination: &original, count: original.count)
        ReferenceKernels.dequantizeRow(format: .t2_64, source: t2, destination: &converted, count: converted.count)
        #expect(original == converted)
        #expect(original.contains { $0 != 0 }, "the data must exercise nonzero codes")
    }

    @Test("The C repacking writes the reference layout byte for byte", arguments: cases)
    func layout(c: Case) throws {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 71)
        let got = try #require(repacked(weights, c))
        #expect(got == ReferenceKernels.repackT2(asT2(weights, c), rows: c.rows, columns: c.columns))
        #expect(got.count == c.rows * c.columns / 64 * 18)
        #expect(got != asT2(weights, c), "the groups are interleaved, so the bytes move")
    }

    /// Every path's products of the repacked weights against the reference product of
    /// the t2_64 rows (int8: the same integer sums, only the float order differs, so
    /// 2e-5 of Σ|w·x|) and against the exact f64 product (float activations: 1e-5).
    @Test("Every path's product of repacked weights matches the reference product of the t2_64 rows",
          arguments: cases)
    func products(c: Case) throws {
        let weights = TestData.packedWeights(format: c.format, rows: c.rows, columns: c.columns, seed: 72)
        let packed = try #require(repacked(weights, c))
        let t2 = asT2(weights, c)
        let input = TestData.floats(c.batch * c.columns, seed: 73)
        let (w, sums) = MatMulChecks.magnitudes(
            weights: t2, format: .t2_64, rows: c.rows, columns: c.columns, input: input, batch: c.batch)
        var expected = [Float](repeating: 0, count: c.batch * c.rows)
        ReferenceKernels.multiply(
            weights: t2, format: .t2_64, rows: c.rows, columns: c.columns, input: input, batch: c.batch,
            output: &expected)
        for kernels in KernelTable.available {
            let int8 = product(c, .t2_64r, packed, input, kernels, .int8)
            let float = product(c, .t2_64r, packed, input, kernels, .float)
            for b in 0..<c.batch {
                for r in 0..<c.rows {
                    let i = b * c.rows + r
                    var exact: Double = 0
                    for k in 0..<c.columns { exact += Double(w[r * c.columns + k]) * Double(input[b * c.columns + k]) }
                    let magnitude = sums[i]
                    #expect(abs(int8[i] - expected[i]) <= magnitude * 2e-5 + 1e-6,
                            "\(kernels.name) \(c) int8 [\(i)]: \(int8[i]) vs \(expected[i])")
                    #expect(abs(Double(float[i]) - exact) <= Double(magnitude) * 1e-5 + 1e-6,
                            "\(kernels.name) \(c) float [\(i)]: \(float[i]) vs \(exact)")
                }
            }
        }
    }

    @Test("Only ternary file formats with at least 32 rows repack, and only on x86 vector paths")
    func eligibility() {
        let avx2 = KernelTable.named("avx2"), portable = KernelTable.named("portable")!
        #expect(TernaryRepacking.repackedFormat(for: .t2_64, rows: 31, columns: 576, kernels: avx2 ?? portable) == nil)
        #expect(TernaryRepacking.repackedFormat(for: .q4_0, rows: 64, columns: 512, kernels: avx2 ?? portable) == nil)
        #expect(TernaryRepacking.repackedFormat(for: .t2_64, rows: 64, columns: 576, kernels: portable) == nil)
        #expect(TernaryRepacking.repackedFormat(for: .tq1_0, rows: 64, columns: 512, kernels: portable) == nil)
        if let avx2 {
            #expect(TernaryRepacking.repackedFormat(for: .t2_64, rows: 64, columns: 576, kernels: avx2) == .t2_64r)
            #expect(TernaryRepacking.repackedFormat(for: .tq2_0, rows: 64, columns: 512, kernels: avx2) == .t2_64r)
            #expect(TernaryRepacking.repackedFormat(for: .tq1_0, rows: 32, columns: 256, kernels: avx2) == .t2_64r)
        }
        #expect(TernaryRepacking.repackedBytes(for: .tq1_0, rows: 32, columns: 256) == 32 * 4 * 18)
        #expect(TernaryRepacking.repackedBytes(for: .tq2_0, rows: 31, columns: 256) == nil)
        let small = [UInt8](repeating: 0, count: 31 * 18)
        var out = small
        let format = out.withUnsafeMutableBytes {
            TernaryRepacking.repack(small, format: .t2_64, rows: 31, columns: 64, into: $0.baseAddress!)
        }
        #expect(format == nil)
    }

    @Test("t2_64r scratch adds 32 bytes of tables per column pair; the format stays out of allCases")
    func scratchAndCases() {
        #expect(MatMul.scratchBytes(format: .t2_64r, columns: 576, batch: 2) == 2 * (18 * 40 + 288 * 32))
        #expect(!WeightFormat.allCases.contains(.t2_64r))
        #expect(WeightFormat(name: "t2_64r") == nil)
        #expect(WeightFormat.t2_64r.rowBytes(576) == WeightFormat.t2_64.rowBytes(576))
    }
}
