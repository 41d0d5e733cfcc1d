import CTernKernels

/// Load-time repacking of ternary weights into layouts that only the lookup-table
/// kernels read (t2_64 → `WeightFormat.t2_64r`): same bytes, rows interleaved in
/// groups of 32 so that one byte shuffle looks up 32 rows at once. Files are unchanged.
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
        guard format == .t2_64, rows >= 32, columns > 0, columns % 64 == 0,
              kernels.name == "avx2" || kernels.name == "avx512vnni" else { return nil }
        return .t2_64r
    }

    /// Writes `rows` × `columns` weights of `format` into `destination` in
    /// `repackedFormat(for:rows:columns:)`'s layout and returns that format.
    /// - Parameters:
    ///   - source: `rows · format.rowBytes(columns)` bytes, row-major.
    ///   - destination: as many bytes, not overlapping `source`.
    /// - Returns: the format of `destination`'s bytes, or nil (nothing written) when
    ///   `format` has no repacked layout or the shape does not fit one.
    public static func repack(
        _ source: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int, into destination: UnsafeMutableRawPointer
    ) -> WeightFormat? {
        guard format == .t2_64, rows >= 32, columns > 0, columns % 64 == 0 else { return nil }
        let written = tern_ternary_repack(Int32(format.rawValue), source, destination, Int64(rows), Int64(columns))
        return WeightFormat(rawValue: UInt32(written)).flatMap { $0 == format ? nil : $0 }
    }
}
