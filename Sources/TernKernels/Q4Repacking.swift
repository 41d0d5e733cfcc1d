import CTernKernels

/// Load-time repacking of q4_0 / q4_1 weights into the layout the x86 kernels read
/// fastest (`WeightFormat.q4_0r`, `.q4_1r`): rows interleaved in groups of eight, so
/// that one u8 × s8 multiply-add against four broadcast activation bytes gives eight
/// rows' partial sums, and the float work per block is once for eight rows. Lossless
/// and the same size as the source; the file is unchanged (q4r.h has the layout).
///
/// Decode reads every weight once per token, and the per-row q4 kernel spent ~11
/// vector operations per 32 weights: one core did ~13 GB/s of weights from cache,
/// about half the two cores' DRAM bandwidth. The grouped kernel needs ~2.5× fewer.
public enum Q4Repacking {
    /// The format `format` repacks into for this CPU's kernels, or nil when there
    /// is none (not q4_0 / q4_1, no x86 vector path, fewer than eight rows).
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
        return format == .q4_0 ? .q4_0r : .q4_1r
    }

    /// Writes `rows` × `columns` weights of `format` into `destination` in the grouped
    /// layout and returns its format.
    /// - Parameters:
    ///   - source: `rows · format.rowBytes(columns)` bytes, row-major.
    ///   - destination: as many bytes as `source`, not overlapping it.
    /// - Returns: the format of `destination`'s bytes, or nil (nothing written) when
    ///   `format` has no grouped layout or the shape does not fit one.
    public static func repack(
        _ source: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int, into destination: UnsafeMutableRawPointer
    ) -> WeightFormat? {
        guard fits(format, rows: rows, columns: columns) else { return nil }
        let written = tern_q4_repack(Int32(format.rawValue), source, destination, Int64(rows), Int64(columns))
        return WeightFormat(rawValue: UInt32(written)).flatMap { $0 == format ? nil : $0 }
    }

    /// Row `row` of a q4_0r / q4_1r matrix as f32: what q4_0 / q4_1 dequantization
    /// gives for that row before repacking, bit for bit.
    /// - Parameters:
    ///   - weights: `rows` × `columns` weights in `format`'s grouped layout.
    ///   - format: `.q4_0r` or `.q4_1r`.
    ///   - row: the row to expand, below `rows`.
    ///   - destination: room for `columns` floats.
    public static func dequantizeRow(
        ofRepacked weights: UnsafeRawPointer, format: WeightFormat, row: Int, rows: Int, columns: Int,
        into destination: UnsafeMutablePointer<Float>
    ) {
        precondition(format == .q4_0r || format == .q4_1r, "\(format) is not a grouped q4 format")
        precondition(row >= 0 && row < rows && columns % 32 == 0)  // the caller validated the token id and shape
        tern_q4r_dequantize_row(Int32(format.rawValue), weights, Int64(rows), Int64(columns), Int64(row), destination)
    }

    /// Whether `format` has a grouped layout at this shape: q4_0 or q4_1, whole
    /// blocks, at least one group of eight rows.
    private static func fits(_ format: WeightFormat, rows: Int, columns: Int) -> Bool {
        (format == .q4_0 || format == .q4_1) && rows >= 8 && columns > 0 && columns % 32 == 0
    }
}
