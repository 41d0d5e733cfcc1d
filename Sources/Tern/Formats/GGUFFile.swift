/// A GGUF model file, memory-mapped and validated: its metadata and a table of
/// tensors whose bytes are used in place.
///
/// Every count, length and offset in the header is checked against the bytes
/// left before it is used, so any truncated or corrupt file throws `GGUFError`.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    /// Keys in file order, for faithful printing and rewriting.
    public let metadataKeys: [String]
    /// Values by key; arrays are decoded when read (see `GGUFMetadata`).
    public let metadata: GGUFMetadata
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian

    /// Maps and validates the file at `path`.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    init(mapping: MappedFile) throws(GGUFError) {
        let path = mapping.path
        self.path = path
        self.mapping = mapping
        var reader = GGUFReader(bytes: mapping.bytes, path: path)

        guard reader.remaining >= 4, try reader.read(UInt32.self, "magic") == Self.magic else {
            throw .notGGUF(path: path)
        }
        version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }

        // A tensor entry takes at least 24 bytes, a key/value pair at least 13.
        let tensorCount = try reader.readCount("tensor count", limit: reader.remaining / 24)
        let keyCount = try reader.readCount("metadata count", limit: reader.remaining / 13)

        var keys: [String] = []
        var entries: [String: GGUFMetadata.Entry] = [:]
        for index in 0..<keyCount {
            let key = try reader.readString("metadata key #\(index)")
            let rawType = try reader.read(UInt32.self, "value type of \(key)")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw .unknownValueType(path: path, key: key, type: rawType)
            }
            let entry: GGUFMetadata.Entry
            if type == .array {
                // Checked in full now, decoded when asked for.
                let (elementType, count) = try reader.readArrayHeader(key: key, depth: 0)
                let offset = reader.offset
                try reader.skipValues(type: elementType, count: count, key: key, depth: 1)
                entry = .array(.init(elementType: elementType, count: count, offset: offset))
            } else {
                entry = .value(try reader.readValue(type: type, key: key))
            }
            guard entries.updateValue(entry, forKey: key) == nil else {
                throw .invalid(path: path, what: "metadata key '\(key)' appears twice")
            }
            keys.append(key)
        }
        metadataKeys = keys
        let metadata = GGUFMetadata(entries: entries, mapping: mapping)
        self.metadata = metadata

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw .invalid(path: path, what: "general.alignment must be a power of two, got \(value)")
            }
            alignment = a
        }
        self.alignment = alignment

        struct Pending { let name: String; let shape: [Int]; let type: GGMLType; let relative: Int; let bytes: Int }
        var pending: [Pending] = []
        pending.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("name of tensor #\(index)")
            let dims = try reader.read(UInt32.self, "dimension count of \(name)")
            guard dims >= 1, dims <= 4 else {
                throw .invalid(path: path, what: "tensor '\(name)' has \(dims) dimensions (1 to 4 allowed)")
            }
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<dims {
                let d = try reader.read(UInt64.self, "shape of \(name)")
                guard d > 0, d < UInt64(1) << 40 else {
                    throw .invalid(path: path, what: "tensor '\(name)' has dimension \(d)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow, product < 1 << 48 else {
                    throw .invalid(path: path, what: "tensor '\(name)' has too many elements")
                }
                elements = product
                shape.append(Int(d))
            }
            let rawType = try reader.read(UInt32.self, "type of \(name)")
            guard let type = GGMLType(id: rawType) else {
                throw .unknownTensorType(path: path, tensor: name, type: rawType)
            }
            guard let bytes = type.bytes(forCount: shape[0]).map({ $0 * (elements / shape[0]) }) else {
                throw .invalid(path: path, what: "tensor '\(name)' rows of \(shape[0]) are not whole \(type) blocks of \(type.blockSize)")
            }
            let relative = try reader.read(UInt64.self, "offset of \(name)")
            guard relative < UInt64(1) << 48, Int(relative) % alignment == 0 else {
                throw .invalid(path: path, what: "tensor '\(name)' offset \(relative) is not aligned to \(alignment)")
            }
            pending.append(Pending(name: name, shape: shape, type: type, relative: Int(relative), bytes: bytes))
        }

        reader.align(to: alignment)
        dataOffset = reader.offset
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for p in pending {
            let start = dataOffset + p.relative
            guard start <= mapping.bytes.count, p.bytes <= mapping.bytes.count - start else {
                throw .truncated(path: path, offset: start, needed: p.bytes, what: "data of tensor '\(p.name)'")
            }
            guard index.updateValue(tensors.count, forKey: p.name) == nil else {
                throw .invalid(path: path, what: "tensor '\(p.name)' appears twice")
            }
            tensors.append(GGUFTensorInfo(name: p.name, shape: p.shape, type: p.type, offset: start, byteCount: p.bytes))
        }
        self.tensors = tensors
        tensorIndex = index
        mapping.releasePages(below: dataOffset)
    }

    /// The tensor called `name`, or nil.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of `tensor`, in place in the mapping (valid while this file lives).
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        // A tensor from another file could point anywhere: a caller's bug, not bad input.
        precondition(tensor.offset >= dataOffset && tensor.byteCount <= fileSize - tensor.offset, "tensor \(tensor.name) is not from \(path)")
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.offset..<tensor.offset + tensor.byteCount])
    }

    /// Drops the resident pages of `tensor`'s bytes (see `MappedFile.releasePages(in:)`):
    /// for a tensor the model copied into another layout and no longer reads here.
    public func releasePages(of tensor: GGUFTensorInfo) {
        mapping.releasePages(in: tensor.offset..<tensor.offset + tensor.byteCount)
    }

    /// Drops the resident pages of the tensor data except those holding bytes of
    /// `tensors`: for a model that copied or repacked everything else at load.
    public func releasePages(keeping tensors: [GGUFTensorInfo]) {
        var start = dataOffset
        for tensor in tensors.sorted(by: { $0.offset < $1.offset }) {
            if tensor.offset > start { mapping.releasePages(in: start..<tensor.offset) }
            start = max(start, tensor.offset + tensor.byteCount)
        }
        mapping.releasePages(in: start..<fileSize)
    }

    // MARK: Typed metadata access

    public func string(_ key: String) -> String? { metadata.scalar(key)?.string }
    public func int(_ key: String) -> Int? { metadata.scalar(key)?.int }
    public func float(_ key: String) -> Double? { metadata.scalar(key)?.float }
    public func bool(_ key: String) -> Bool? { metadata.scalar(key)?.bool }

    /// A required integer: missing or mistyped is a `GGUFError` naming the key.
    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let value = metadata[key] else { throw .missingKey(path: path, key: key) }
        guard let int = value.int else { throw .wrongValueType(path: path, key: key, expected: "an integer") }
        return int
    }

    // Arrays are decoded from the file on each call, straight into the result.

    /// The array `key` as strings, nil when absent; a non-array or non-string element is `wrongValueType`.
    public func stringArray(_ key: String) throws(GGUFError) -> [String]? {
        try metadata.elements(of: key, expected: "an array of strings") { $0.string }
    }

    /// The array `key` as integers (bools as 0 and 1), nil when absent.
    public func intArray(_ key: String) throws(GGUFError) -> [Int]? {
        try metadata.elements(of: key, expected: "an array of integers") { $0.int }
    }

    /// The array `key` as floats (integers converted), nil when absent.
    public func floatArray(_ key: String) throws(GGUFError) -> [Float]? {
        try metadata.elements(of: key, expected: "an array of floats") { $0.float.map(Float.init) }
    }
}
