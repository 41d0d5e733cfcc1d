import CTernKernels

/// Load-time repacking of ternary weights into layouts that only the lookup-table
/// kernels read (t2_64, tq1_0, tq2_0 → `WeightFormat.t2_64r`): rows interleaved in
/// groups of 32 so that one byte shuffle looks up 32 rows at once. Lossless: tq1_0
/// and tq2_0 blocks of 256 become four t2_64 blocks with the same f16 scale. Files
/// are unchanged.
///
/// Measured on Zen 3 (one thread, 576 × 576, weights in L2): t2_64 rows 7.7 µs
/// (eight-row direct kernel), t2_64r 5.5 µs plus 0.4 µs to build the input's tables.
public enum TernaryRepacking {
    /// The format `format` repacks into for this CPU's kernels, or nil when there
    /// is none or it would not be faster (no x86 vector path, fewer than 32 rows).
    /// - Parameters:
    ///   - format: the weights' format.
    ///   - rows: weight rows.
    ///   - columns: values per row.
    public static func repackedFormat(for format: WeightFormat, rows: Int, columns: Int) -> WeightFormat? {
        repackedFormat(for: format, rows: rows, columns: columns, kernels: .best)
    }

    static func repackedFormat(for format: WeightFormat, rows: Int, columns: Int, kernels: KernelTable) -> WeightFormat? {
        guard fits(format, rows: rows, columns: columns),
              kernels.name == "avx2" || kernels.name == "avx512vnni" else { return nil }
        return .t2_64r
    }

    /// Bytes `repack` writes for this shape: `rows · t2_64r.rowBytes(columns)` (more
    /// than the source for tq1_0 and tq2_0), or nil when `format` does not repack.
    /// - Parameters:
    ///   - format: the weights' format.
    ///   - rows: weight rows.
    ///   - columns: values per row.
    public static func repackedBytes(for format: WeightFormat, rows: Int, columns: Int) -> Int? {
        guard fits(format, rows: rows, columns: columns), let rowBytes = WeightFormat.t2_64r.rowBytes(columns) else {
            return nil
        }
        return rows * rowBytes
    }

    /// Writes `rows` × `columns` weights of `format` into `destination` in
    /// t2_64r's layout and returns that format.
    /// - Parameters:
    ///   - source: `rows · format.rowBytes(columns)` bytes, row-major.
    ///   - destination: `repackedBytes(for:rows:columns:)` bytes, not overlapping `source`.
    /// - Returns: the format of `destination`'s bytes, or nil (nothing written) when
    ///   `format` has no repacked layout or the shape does not fit one.
    public static func repack(
        _ source: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int, into destination: UnsafeMutableRawPointer
    ) -> WeightFormat? {
        guard fits(format, rows: rows, columns: columns) else { return nil }
        let written = tern_ternary_repack(Int32(format.rawValue), source, destination, Int64(rows), Int64(columns))
        return WeightFormat(rawValue: UInt32(written)).flatMap { $0 == format ? nil : $0 }
    }

    /// Expands row `row` of a t2_64r matrix to f32: the values t2_64's row expansion gives
    /// for that row before repacking, bit for bit. Lets a model keep only the repacked copy
    /// of a matrix that is both multiplied and looked up by row (tied embeddings).
    /// - Parameters:
    ///   - weights: `rows` × `columns` weights in t2_64r's layout (see `repack`).
    ///   - row: the row to expand, below `rows`.
    ///   - destination: room for `columns` floats.
    public static func dequantizeRow(
        ofRepacked weights: UnsafeRawPointer, row: Int, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        precondition(row >= 0 && row < rows && columns % 64 == 0)  // the caller validated the token id and shape
        let blocks = columns / 64, groupRows = 32, groupBytes = 576, groups = rows / groupRows  // ternary.h's TERN_T2R_*
        guard row < groups * groupRows else {  // rows past the last group keep t2_64's layout
            RowQuantization.dequantizeRow(
                format: .t2_64, source: weights + row * blocks * 18, destination: destination, count: columns)
            return
        }
        // (group, block): 32 f16 scales in row order, then 16 chunks of 32 bytes; byte j of
        // every chunk belongs to row j, j + 8, j - 8, j for j in [0, 8), [8, 16), [16, 24),
        // [24, 32), a swap that is its own inverse. Low nibble: codes of values 2k, 2k + 1
        // of chunk k; high nibble: values 2k + 32, 2k + 33 (ternary.h).
        let r = row % groupRows
        let j = r < 8 || r >= 24 ? r : r < 16 ? r + 8 : r - 8
        var block = weights + (row / groupRows) * blocks * groupBytes
        var out = destination
        for _ in 0..<blocks {
            let d = Half.f16ToF32(block.loadUnaligned(fromByteOffset: 2 * r, as: UInt16.self))
            for k in 0..<16 {
                let byte = Int(block.load(fromByteOffset: 64 + 32 * k + j, as: UInt8.self))
                out[2 * k] = Float((byte & 3) - 1) * d
                out[2 * k + 1] = Float((byte >> 2 & 3) - 1) * d
                out[2 * k + 32] = Float((byte >> 4 & 3) - 1) * d
                out[2 * k + 33] = Float((byte >> 6) - 1) * d
            }
            block += groupBytes
            out += 64
        }
    }

    /// Whether `format` has a t2_64r layout at this shape: a ternary file format,
    /// whole blocks, at least one group of 32 rows.
    private static func fits(_ format: WeightFormat, rows: Int, columns: Int) -> Bool {
        let source: Set<WeightFormat> = [.t2_64, .tq1_0, .tq2_0]
        return source.contains(format) && rows >= 32 && columns > 0 && columns % format.blockSize == 0
    }
}
