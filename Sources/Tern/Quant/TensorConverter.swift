import TernKernels

/// Converts a tensor's rows from one weight format to another through f32, a slab
/// of rows at a time, the rows of each slab split across a thread pool.
///
/// Memory stays bounded whatever the model's size: one output slab (about
/// `slabBytes`, or one row if a row is larger) plus one f32 row per thread; the
/// input is read in place from the mapped file.
final class TensorConverter {
    let pool: ThreadPool
    /// Output bytes aimed for per slab: large enough to amortise a pool job and a write.
    static let slabBytes = 4 << 20

    private var slab: UnsafeMutableRawBufferPointer
    /// One f32 row per thread: (threadCount, scratchRowLength).
    private var scratch: UnsafeMutableBufferPointer<Float>
    private var scratchRowLength = 0

    init(pool: ThreadPool) {
        self.pool = pool
        slab = .allocate(byteCount: Self.slabBytes, alignment: 64)
        scratch = .allocate(capacity: 0)
    }

    deinit {
        slab.deallocate()
        scratch.deallocate()
    }

    /// Converts `rowCount` rows of `rowLength` values from `source` (packed as `from`)
    /// to `to`, appending them to `sink` in order.
    /// - Parameters:
    ///   - source: `rowCount × from.rowBytes(rowLength)` bytes.
    ///   - rowLength: values per row, whole blocks of both formats.
    ///   - progress: called after each slab with the rows done so far; return false to stop.
    /// - Returns: false when `progress` asked to stop (the tensor is then incomplete).
    func convert(
        _ source: UnsafeRawBufferPointer, from: WeightFormat, to: WeightFormat, rowLength: Int, rowCount: Int,
        into sink: inout GGUFTensorSink, progress: (Int) -> Bool
    ) throws(GGUFError) -> Bool {
        guard rowCount > 0, let inRowBytes = from.rowBytes(rowLength), let outRowBytes = to.rowBytes(rowLength),
            let input = source.baseAddress
        else { return true }
        precondition(source.count >= rowCount * inRowBytes, "the source holds every row")  // planned from the file's table
        let rowsPerSlab = max(1, min(rowCount, Self.slabBytes / max(outRowBytes, 1)))
        reserve(slabBytes: rowsPerSlab * outRowBytes, rowLength: rowLength)
        let output = slab.baseAddress!
        let scratchBase = scratch.baseAddress!
        let scratchStride = scratchRowLength

        var first = 0
        while first < rowCount {
            let rows = min(rowsPerSlab, rowCount - first)
            let start = first
            pool.run { index, count in
                let lo = rows * index / count, hi = rows * (index + 1) / count
                let row32 = scratchBase + index * scratchStride
                for r in lo..<hi {
                    let inRow = input + (start + r) * inRowBytes
                    let outRow = output + r * outRowBytes
                    Self.convertRow(inRow, from: from, outRow, to: to, count: rowLength, scratch: row32)
                }
            }
            try sink.write(UnsafeRawBufferPointer(start: output, count: rows * outRowBytes))
            first += rows
            guard progress(first) else { return false }
        }
        return true
    }

    /// One row: decode to f32 unless it already is, then encode, without copying
    /// when either side is f32.
    static func convertRow(
        _ source: UnsafeRawPointer, from: WeightFormat, _ destination: UnsafeMutableRawPointer, to: WeightFormat,
        count: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        if to == .f32 {
            let floats = destination.assumingMemoryBound(to: Float.self)
            RowQuantization.dequantizeRow(format: from, source: source, destination: floats, count: count)
        } else if from == .f32 {
            let floats = source.assumingMemoryBound(to: Float.self)  // GGUF data is 32-byte aligned
            RowQuantization.quantizeRow(format: to, source: floats, destination: destination, count: count)
        } else {
            RowQuantization.dequantizeRow(format: from, source: source, destination: scratch, count: count)
            RowQuantization.quantizeRow(format: to, source: scratch, destination: destination, count: count)
        }
    }

    private func reserve(slabBytes: Int, rowLength: Int) {
        if slab.count < slabBytes {
            slab.deallocate()
            slab = .allocate(byteCount: slabBytes, alignment: 64)
        }
        if scratchRowLength < rowLength {
            scratch.deallocate()
            scratch = .allocate(capacity: rowLength * pool.threadCount)
            scratchRowLength = rowLength
        }
    }
}
