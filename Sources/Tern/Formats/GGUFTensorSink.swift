/// Where a tensor's producer writes its bytes when `GGUFWriter` streams it to disk.
///
/// The producer must write exactly the tensor's byte count (known up front from
/// its shape and type), in any number of pieces; writing more throws at once,
/// writing less makes `GGUFWriter.write(to:)` throw after the producer returns.
public struct GGUFTensorSink: ~Copyable {
    let output: GGUFOutputFile
    let tensorName: String
    /// Bytes this tensor must have.
    public let byteCount: Int
    /// Bytes written so far.
    public private(set) var written = 0

    init(output: GGUFOutputFile, tensorName: String, byteCount: Int) {
        self.output = output
        self.tensorName = tensorName
        self.byteCount = byteCount
    }

    /// Appends raw bytes to the tensor.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        guard bytes.count <= byteCount - written else {
            throw .cannotEncode(
                path: output.path,
                reason: "the producer of tensor '\(tensorName)' wrote more than its \(byteCount) bytes")
        }
        try output.append(bytes)
        written += bytes.count
    }

    /// Appends the in-memory bytes of `values` (little-endian on every platform Tern runs on).
    public mutating func write<T: BitwiseCopyable>(_ values: [T]) throws(GGUFError) {
        // Array.withUnsafeBytes only rethrows untyped errors; Result keeps the type.
        try values.withUnsafeBytes { raw in Result { () throws(GGUFError) in try write(raw) } }.get()
    }
}
