/// Builds a GGUF (version 3) file from ordered metadata and tensors.
///
/// ```swift
/// var writer = GGUFWriter()
/// writer.setMetadata("general.architecture", .string("llama"))
/// writer.addTensor(name: "output.weight", shape: [576, 49152], type: GGMLType(.q8_0), data: bytes)
/// try writer.write(to: "model.gguf")
/// ```
///
/// Layout (what llama.cpp expects): header, key/value pairs in insertion order,
/// tensor infos, zero padding to `general.alignment` (default 32), then each
/// tensor's data padded to the alignment, the last one included. Tensor data
/// may come from memory or be streamed by a producer closure, so a large model
/// need not be held in memory. The file is written to a temporary beside `path`
/// and renamed into place only when complete.
public struct GGUFWriter {
    /// Tensor data: bytes in memory, or a closure that writes them when the file is written.
    public typealias Producer = (inout GGUFTensorSink) throws -> Void

    enum Source {
        case bytes([UInt8])
        case producer(Producer)
    }

    struct PlannedTensor {
        let name: String
        let shape: [Int]
        let type: GGMLType
        let source: Source
    }

    /// Metadata keys in the order they will be written.
    public private(set) var metadataKeys: [String] = []
    /// Metadata values by key.
    public private(set) var metadata: [String: GGUFValue] = [:]
    var tensors: [PlannedTensor] = []

    /// Default GGUF alignment when `general.alignment` is not set.
    public static let defaultAlignment = 32

    /// An empty file: no metadata, no tensors.
    public init() {}

    /// A writer that reproduces `file`: its metadata in file order and every
    /// tensor, streamed from the file's mapping when written.
    public init(copying file: GGUFFile) {
        for key in file.metadataKeys {
            if let value = file.metadata[key] { setMetadata(key, value) }
        }
        for tensor in file.tensors {
            addTensor(name: tensor.name, shape: tensor.shape, type: tensor.type) { sink in
                try sink.write(file.bytes(of: tensor))
            }
        }
    }

    /// Names of the tensors added so far, in file order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// Sets `key` to `value`. A new key goes last; an existing key keeps its place.
    public mutating func setMetadata(_ key: String, _ value: GGUFValue) {
        if metadata.updateValue(value, forKey: key) == nil { metadataKeys.append(key) }
    }

    /// Removes `key` if present.
    public mutating func removeMetadata(_ key: String) {
        guard metadata.removeValue(forKey: key) != nil else { return }
        metadataKeys.removeAll { $0 == key }
    }

    /// Adds a tensor whose bytes are in memory.
    /// - Parameters:
    ///   - name: unique, under 64 UTF-8 bytes (llama.cpp's limit).
    ///   - shape: ggml order, 1 to 4 dimensions: `shape[0]` is the row length, a multiple of the type's block size.
    ///   - type: the ggml type of the packed data.
    ///   - data: exactly the bytes the shape and type need; checked by `write(to:)`.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data: [UInt8]) {
        tensors.append(PlannedTensor(name: name, shape: shape, type: type, source: .bytes(data)))
    }

    /// Adds a tensor whose bytes `producer` writes into a sink during `write(to:)`,
    /// in file order, so only one tensor (or one piece of it) need be in memory.
    /// The producer must write exactly `byteCount(shape:type:)` bytes.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, producer: @escaping Producer) {
        tensors.append(PlannedTensor(name: name, shape: shape, type: type, source: .producer(producer)))
    }

    /// Bytes a tensor of `shape` and `type` occupies, or nil when the shape is
    /// invalid (empty, non-positive, rows not whole blocks, or too large).
    public static func byteCount(shape: [Int], type: GGMLType) -> Int? {
        guard let rowLength = shape.first, shape.allSatisfy({ $0 > 0 }) else { return nil }
        var rows = 1
        for d in shape.dropFirst() {
            let (product, overflow) = rows.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            rows = product
        }
        guard let rowBytes = type.bytes(forCount: rowLength) else { return nil }
        let (total, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        return overflow ? nil : total
    }

    /// Writes the file to `path`, replacing any file there only once the new one is complete.
    /// - Throws: `GGUFError.cannotEncode` when the metadata or a tensor cannot be
    ///   stored (checked before anything is written), `GGUFError.cannotWrite` when
    ///   the disk refuses or a producer fails. On any error the temporary is deleted
    ///   and `path` is untouched.
    public func write(to path: String) throws(GGUFError) {
        let layout = try plan(path: path)
        let output = try GGUFOutputFile(path: path)
        do {
            try writeHeader(to: output, layout: layout)
            for (tensor, size) in zip(tensors, layout.sizes) {
                try writeData(of: tensor, byteCount: size, to: output)
                try output.pad(to: layout.alignment)
            }
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
    }

    // MARK: Planning and encoding

    struct Layout {
        let alignment: Int
        /// Byte count of each tensor, in order.
        let sizes: [Int]
        /// Offset of each tensor from the start of the data section.
        let offsets: [Int]
    }

    /// Checks everything that could make the file unreadable and computes offsets.
    func plan(path: String) throws(GGUFError) -> Layout {
        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            // llama.cpp accepts only a u32 here.
            guard case let .uint32(a) = value, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw .cannotEncode(path: path, reason: "general.alignment must be a uint32 power of two, got \(value)")
            }
            alignment = Int(a)
        }
        for key in metadataKeys {
            guard let value = metadata[key] else { continue }
            if let problem = Self.typeProblem(in: value) {
                throw .cannotEncode(path: path, reason: "metadata key '\(key)': \(problem)")
            }
        }
        var names: Set<String> = []
        var sizes: [Int] = []
        var offsets: [Int] = []
        var next = 0
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name.utf8.count < 64 else {
                throw .cannotEncode(path: path, reason: "tensor name '\(tensor.name)' must be 1 to 63 UTF-8 bytes")
            }
            guard names.insert(tensor.name).inserted else {
                throw .cannotEncode(path: path, reason: "tensor '\(tensor.name)' is added twice")
            }
            guard (1...4).contains(tensor.shape.count), let size = Self.byteCount(shape: tensor.shape, type: tensor.type)
            else {
                throw .cannotEncode(
                    path: path,
                    reason: "tensor '\(tensor.name)' has shape \(tensor.shape), which \(tensor.type) cannot hold "
                        + "(1 to 4 positive dimensions, the first a multiple of \(tensor.type.blockSize))")
            }
            if case let .bytes(data) = tensor.source, data.count != size {
                throw .cannotEncode(
                    path: path,
                    reason: "tensor '\(tensor.name)' has \(data.count) bytes but shape \(tensor.shape) of \(tensor.type) needs \(size)")
            }
            sizes.append(size)
            offsets.append(next)
            next += (size + alignment - 1) / alignment * alignment
        }
        return Layout(alignment: alignment, sizes: sizes, offsets: offsets)
    }

    /// Why `value` cannot be stored (an array element of the wrong type), or nil.
    static func typeProblem(in value: GGUFValue) -> String? {
        guard case let .array(elementType, values) = value else { return nil }
        for element in values {
            guard element.type == elementType else {
                return "an array of \(elementType) holds a \(element.type) element"
            }
            if let problem = typeProblem(in: element) { return problem }
        }
        return nil
    }

    func writeHeader(to output: GGUFOutputFile, layout: Layout) throws(GGUFError) {
        try output.append(GGUFFile.magic)
        try output.append(UInt32(3))
        try output.append(UInt64(tensors.count))
        try output.append(UInt64(metadataKeys.count))
        for key in metadataKeys {
            guard let value = metadata[key] else { continue }
            try output.append(string: key)
            try output.append(value.type.rawValue)
            try Self.append(value, to: output)
        }
        for (tensor, offset) in zip(tensors, layout.offsets) {
            try output.append(string: tensor.name)
            try output.append(UInt32(tensor.shape.count))
            for d in tensor.shape { try output.append(UInt64(d)) }
            try output.append(tensor.type.id)
            try output.append(UInt64(offset))
        }
        try output.pad(to: layout.alignment)
    }

    /// Appends a value's payload (its type tag is written by the caller).
    static func append(_ value: GGUFValue, to output: GGUFOutputFile) throws(GGUFError) {
        switch value {
        case let .uint8(v): try output.append(v)
        case let .int8(v): try output.append(v)
        case let .uint16(v): try output.append(v)
        case let .int16(v): try output.append(v)
        case let .uint32(v): try output.append(v)
        case let .int32(v): try output.append(v)
        case let .uint64(v): try output.append(v)
        case let .int64(v): try output.append(v)
        case let .float32(v): try output.append(v.bitPattern)
        case let .float64(v): try output.append(v.bitPattern)
        case let .bool(v): try output.append(UInt8(v ? 1 : 0))
        case let .string(s): try output.append(string: s)
        case let .array(elementType, values):
            try output.append(elementType.rawValue)
            try output.append(UInt64(values.count))
            for element in values {
                // Nested arrays carry their own element type and count; scalars do not.
                try append(element, to: output)
            }
        }
    }

    func writeData(of tensor: PlannedTensor, byteCount: Int, to output: GGUFOutputFile) throws(GGUFError) {
        switch tensor.source {
        case let .bytes(data):
            try output.append(contentsOf: data)
        case let .producer(produce):
            var sink = GGUFTensorSink(output: output, tensorName: tensor.name, byteCount: byteCount)
            do {
                try produce(&sink)
            } catch let error as GGUFError {
                throw error
            } catch {
                throw .cannotWrite(path: output.path, reason: "the data of tensor '\(tensor.name)' could not be produced: \(error)")
            }
            guard sink.written == byteCount else {
                throw .cannotEncode(
                    path: output.path,
                    reason: "the producer of tensor '\(tensor.name)' wrote \(sink.written) of its \(byteCount) bytes")
            }
        }
    }
}
