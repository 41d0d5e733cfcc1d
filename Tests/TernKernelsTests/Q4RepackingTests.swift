import Testing
@testable import TernKernels

/// q4_0 / q4_1 weights repacked at load into groups of eight interleaved rows (q4_0r,
/// q4_1r). The repacking loses nothing, and on x86 every product over the groups,
/// decode and batched alike, sums each block exactly in integers in the tiles' order:
/// a token's logits do not depend on whether it was computed alone or in a batch.
@Suite("Repacked q4 weights")
struct Q4RepackingTests {
    static let formats: [WeightFormat] = [.q4_0, .q4_1]
    /// Whole groups, a remainder after the groups, rows longer than one expanded span.
    static let shapes: [(rows: Int, columns: Int)] = [(8, 32), (13, 96), (21, 576), (40, 2112)]

    private func repack(_ weights: [UInt8], format: WeightFormat, rows: Int, columns: Int) -> ([UInt8], WeightFormat?) {
        var out = [UInt8](repeating: 0, count: weights.count)
        let written = weights.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { destination in
                Q4Repacking.repack(
                    source.baseAddress!, format: format, rows: rows, columns: columns, into: destination.baseAddress!)
            }
        }
        return (out, written)
    }

    @Test("every row reads back exactly as q4 dequantizes it", arguments: formats)
    func rowsReadBack(format: WeightFormat) throws {
        for (rows, columns) in Self.shapes {
            let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 91)
            let (packed, written) = repack(weights, format: format, rows: rows, columns: columns)
            let repacked = try #require(written)
            #expect(repacked == (format == .q4_0 ? .q4_0r : .q4_1r))
            #expect(packed != weights, "the groups' bytes are interleaved")
            let rowBytes = try #require(format.rowBytes(columns))
            for r in 0..<rows {
                var expected = [Float](repeating: 0, count: columns)
                var got = [Float](repeating: .nan, count: columns)
                weights.withUnsafeBytes {
                    ReferenceKernels.dequantizeRow(
                        format: format, source: $0.baseAddress! + r * rowBytes, destination: &expected, count: columns)
                }
                packed.withUnsafeBytes {
                    Q4Repacking.dequantizeRow(
                        ofRepacked: $0.baseAddress!, format: repacked, row: r, rows: rows, columns: columns, into: &got)
                }
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(format) \(rows)x\(columns) row \(r)")
            }
        }
    }

    @Test("only q4_0 and q4_1 with at least eight rows repack, and only for the x86 paths")
    func onlyWholeGroupsOfQ4() throws {
        let weights = TestData.packedWeights(format: .q8_0, rows: 16, columns: 64, seed: 92)
        #expect(repack(weights, format: .q8_0, rows: 16, columns: 64).1 == nil)
        let seven = TestData.packedWeights(format: .q4_0, rows: 7, columns: 64, seed: 93)
        #expect(repack(seven, format: .q4_0, rows: 7, columns: 64).1 == nil)
        for kernels in KernelTable.available {
            let x86 = kernels.name == "avx2" || kernels.name == "avx512vnni"
            let format = Q4Repacking.repackedFormat(for: .q4_1, rows: 16, columns: 64, kernels: kernels)
            #expect(format == (x86 ? .q4_1r : nil), "\(kernels.name)")
        }
    }

    @Test("on x86, single and batched products follow the exact block-sum order, however rows are split",
          arguments: formats)
    func productsFollowBlockSums(format: WeightFormat) throws {
        let x86 = KernelTable.available.filter { $0.name == "avx2" || $0.name == "avx512vnni" }
        for (rows, columns) in Self.shapes {
            let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 94)
            let (packed, written) = repack(weights, format: format, rows: rows, columns: columns)
            let repacked = try #require(written)
            for kernels in x86 {
                for batch in [1, 3, 4, 9] {
                    let input = TestData.floats(batch * columns, seed: 95)
                    // Rows in two calls, as threads split them: at a group boundary.
                    let (prepared, preparedBytes, output) = MatMulChecks.splitProduct(
                        kernels: kernels, format: repacked, weights: packed, rows: rows, columns: columns, input: input,
                        batch: batch, split: rows / 16 * 8)
                    #expect(preparedBytes == kernels.preparedBytes(Int32(format.rawValue), Int64(columns)))
                    let mismatches = MatMulChecks.blockSumMismatches(
                        format: format, weights: weights, rows: rows, columns: columns, prepared: prepared,
                        preparedBytes: preparedBytes, vectors: batch, output: output)
                    #expect(mismatches == 0, "\(kernels.name) \(repacked) \(rows)x\(columns) batch \(batch): \(mismatches) differ")
                }
            }
        }
    }

    @Test("every path's products of repacked weights match the reference, int8 and f32 activations",
          arguments: formats)
    func pathsMatchReference(format: WeightFormat) throws {
        for (rows, columns) in Self.shapes {
            let batch = 5
            let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 96)
            let (packed, written) = repack(weights, format: format, rows: rows, columns: columns)
            let repacked = try #require(written)
            let input = TestData.floats(batch * columns, seed: 97)
            var expected = [Float](repeating: 0, count: batch * rows)
            ReferenceKernels.multiply(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                output: &expected)
            let (w, sums) = MatMulChecks.magnitudes(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch)
            for kernels in KernelTable.available {
                let got = MatMulChecks.product(
                    weights: packed, format: repacked, rows: rows, columns: columns, input: input, batch: batch,
                    threads: 2, kernels: kernels)
                let float = MatMulChecks.product(
                    weights: packed, format: repacked, rows: rows, columns: columns, input: input, batch: batch,
                    threads: 2, kernels: kernels, activations: .float)
                for b in 0..<batch {
                    for r in 0..<rows {
                        let i = b * rows + r
                        var exact: Double = 0
                        for c in 0..<columns { exact += Double(w[r * columns + c]) * Double(input[b * columns + c]) }
                        #expect(abs(got[i] - expected[i]) <= sums[i] * 2e-5 + 1e-6,
                                "\(kernels.name) \(repacked) \(rows)x\(columns) [\(b), \(r)]: \(got[i]) vs \(expected[i])")
                        #expect(abs(Double(float[i]) - exact) <= Double(sums[i]) * 1e-5 + 1e-6,
                                "\(kernels.name) \(repacked) f32 activations [\(b), \(r)]: \(float[i]) vs \(exact)")
                    }
                }
            }
        }
    }
}
