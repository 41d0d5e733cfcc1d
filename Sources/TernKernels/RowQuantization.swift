import CTernKernels

/// Row conversions between f32 and every weight format, in C. Results are
/// bit-identical to `ReferenceKernels` (same ggml rounding), only faster.
public enum RowQuantization {
    /// Expands `count` values in `format` at `source` to f32.
    /// - Parameters:
    ///   - format: the layout of `source`.
    ///   - source: `format.rowBytes(count)` bytes.
    ///   - destination: room for `count` floats.
    ///   - count: values in the row; a multiple of `format.blockSize`.
    public static func dequantizeRow(
        format: WeightFormat, source: UnsafeRawPointer, destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        precondition(count >= 0 && count % format.blockSize == 0, "count must be a whole number of blocks")
        KernelTable.best.dequantizeRow(Int32(format.rawValue), source, destination, Int64(count))
    }

    /// Packs `count` floats into `format` with ggml's reference rounding.
    /// - Parameters:
    ///   - format: the layout to write.
    ///   - source: `count` floats.
    ///   - destination: room for `format.rowBytes(count)` bytes.
    ///   - count: values in the row; a multiple of `format.blockSize`.
    public static func quantizeRow(
        format: WeightFormat, source: UnsafePointer<Float>, destination: UnsafeMutableRawPointer, count: Int
    ) {
        precondition(count >= 0 && count % format.blockSize == 0, "count must be a whole number of blocks")
        KernelTable.best.quantizeRow(Int32(format.rawValue), source, destination, Int64(count))
    }
}
