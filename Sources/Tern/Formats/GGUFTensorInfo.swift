/// One tensor's entry in a GGUF file: where its bytes are and how to read them.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `shape[0]` is the row length (contiguous), `shape[1]` the row count.
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the first byte from the start of the file (already absolute).
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    /// Values per row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (product of the outer dimensions).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}
