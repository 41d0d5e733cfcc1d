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

    /// Whether `format` has a t2_64r layout at this shape: a ternary file format,
    /// whole blocks, at least one group of 32 rows.
    private static func fits(_ format: WeightFormat, rows: Int, columns: Int) -> Bool {
        let source: Set<WeightFormat> = [.t2_64, .tq1_0, .tq2_0]
        return source.contains(format) && rows >= 32 && columns > 0 && columns % format.blockSize == 0
    }
}
