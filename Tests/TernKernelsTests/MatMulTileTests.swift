import Testing
@testable import TernKernels

/// The x86 batched q4 and q8 products run tiles of eight interleaved rows that sum
/// each block's products exactly in integers. These cases pin down their arithmetic
/// bit for bit, given the prepared activations (`tern_act_block`: f32 d, f32 s, 32
/// int8): per block, in block order, acc = fma(dx · dy, Σ q · y, acc) and, for q4,
/// mins = mins + m · s (m = dx for q4_0); the result is acc + mins (q4) or acc (q8).
/// Shapes reach partial row groups, rows longer than one expanded span (64 q4 blocks,
/// 32 q8 blocks) and than one q8 column chunk (256 blocks), and several passes of
/// vectors.
@Suite("Batched q4 and q8 tiles")
struct MatMulTileTests {
    struct Shape: CustomStringConvertible, Sendable {
        let rows: Int, columns: Int, batch: Int
        var description: String { "\(rows)x\(columns) batch \(batch)" }
    }

    static let shapes = [
        Shape(rows: 8, columns: 32, batch: 4),
        Shape(rows: 13, columns: 96, batch: 8),
        Shape(rows: 21, columns: 2112, batch: 4),  // 66 blocks: two spans
        Shape(rows: 3, columns: 64, batch: 12),
        Shape(rows: 17, columns: 128, batch: 272),  // 272 vectors: more than one pass
        Shape(rows: 9, columns: 8256, batch: 8),  // 258 blocks: two q8 column chunks
    ]

    @Test("on x86, every (row, vector) of a batched product is the exact block-sum order",
          arguments: [WeightFormat.q4_0, .q4_1, .q8_0, .q8_1], shapes)
    func tilesFollowBlockSumOrder(format: WeightFormat, shape: Shape) throws {
        let x86 = KernelTable.available.filter { $0.name == "avx2" || $0.name == "avx512vnni" }
        let (rows, columns, batch) = (shape.rows, shape.columns, shape.batch)
        let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: 81)
        let input = TestData.floats(batch * columns, seed: 82)
        for kernels in x86 {
            // Rows in two calls, as threads split them: the second starts mid-group.
            let (prepared, preparedBytes, output) = MatMulChecks.splitProduct(
                kernels: kernels, format: format, weights: weights, rows: rows, columns: columns, input: input,
                batch: batch, split: rows / 2)
            #expect(preparedBytes == columns / 32 * 40)
            let grouped = batch / 4 * 4  // whole groups of four vectors go through the tiles
            let mismatches = MatMulChecks.blockSumMismatches(
                format: format, weights: weights, rows: rows, columns: columns, prepared: prepared,
                preparedBytes: preparedBytes, vectors: grouped, output: output)
            #expect(mismatches == 0, "\(kernels.name) \(format) \(shape): \(mismatches) of \(grouped * rows) differ")
        }
    }
}
