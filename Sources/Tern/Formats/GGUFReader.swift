/// A cursor over untrusted bytes: every read is checked against the bytes left
/// before anything is allocated, so a corrupt file becomes an error, not a crash.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset = 0
    /// Array elements still allowed in the metadata. A decoded `GGUFValue` takes
    /// ~20x the bytes of a one-byte element on disk, so without a cap a large
    /// crafted file could demand tens of gigabytes. Real vocabularies hold about
    /// a million values (tokens, scores, types, merges) in total.
    private(set) var arrayElementsLeft = GGUFReader.maxArrayElements

    static let maxArrayElements = 1 << 24

    /// A cursor at `offset` (the start of the file unless resuming at a value found before).
    init(bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(path: path, offset: offset, needed: count, what: what())
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    /// A count stored as u64, checked to be at most `limit` so it can size an allocation.
    mutating func readCount(_ what: @autoclosure () -> String, limit: Int) throws(GGUFError) -> Int {
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(limit) else {
            throw .invalid(path: path, what: "\(what()) is \(raw), more than the \(remaining) bytes left can hold (truncated or corrupt)")
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        // GGUF strings are UTF-8 but not NUL-terminated; invalid bytes become U+FFFD
        // rather than failing the load (some vocabularies hold raw byte pieces).
        String(decoding: try readStringBytes(what()), as: UTF8.self)
    }

    /// A string's bytes in place, its length checked against the bytes left.
    mutating func readStringBytes(_ what: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        let length = try readCount("length of \(what())", limit: remaining)
        try require(length, what())
        let raw = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        offset += length
        return raw
    }

    mutating func readValue(type: GGUFValueType, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, key))
        case .int8: return .int8(try read(Int8.self, key))
        case .uint16: return .uint16(try read(UInt16.self, key))
        case .int16: return .int16(try read(Int16.self, key))
        case .uint32: return .uint32(try read(UInt32.self, key))
        case .int32: return .int32(try read(Int32.self, key))
        case .uint64: return .uint64(try read(UInt64.self, key))
        case .int64: return .int64(try read(Int64.self, key))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, key)))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, key)))
        case .bool:
            let raw = try read(UInt8.self, key)
            guard raw <= 1 else { throw .invalid(path: path, what: "metadata key '\(key)' has bool value \(raw)") }
            return .bool(raw == 1)
        case .string: return .string(try readString(key))
        case .array:
            let (elementType, count) = try readArrayHeader(key: key, depth: depth)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                values.append(try readValue(type: elementType, key: key, depth: depth + 1))
            }
            return .array(elementType: elementType, values)
        }
    }

    /// An array's element type and count, checked: known type, nesting within bounds, a count
    /// the bytes left can hold and within the file's total of array elements.
    mutating func readArrayHeader(key: String, depth: Int) throws(GGUFError) -> (elementType: GGUFValueType, count: Int) {
        // Nesting is allowed by the format; a bound keeps a crafted file from
        // exhausting the stack.
        guard depth < 8 else { throw .invalid(path: path, what: "metadata key '\(key)' nests arrays too deeply") }
        let rawType = try read(UInt32.self, "array type of \(key)")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw .unknownValueType(path: path, key: key, type: rawType)
        }
        // Each element takes at least one byte (strings at least eight), which bounds the count.
        let minimum = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
        let count = try readCount("element count of \(key)", limit: remaining / minimum)
        guard count <= arrayElementsLeft else {
            throw .invalid(path: path, what: "metadata arrays hold more than \(Self.maxArrayElements) elements in total (at '\(key)')")
        }
        arrayElementsLeft -= count
        return (elementType, count)
    }

    /// Moves past `count` values of `type` with every check `readValue` makes (lengths,
    /// bools, nested arrays) but decoding nothing: an array kept in the file for later.
    mutating func skipValues(type: GGUFValueType, count: Int, key: String, depth: Int) throws(GGUFError) {
        switch type {
        case .string:
            for _ in 0..<count { _ = try readStringBytes(key) }
        case .array:
            for _ in 0..<count {
                let (elementType, inner) = try readArrayHeader(key: key, depth: depth)
                try skipValues(type: elementType, count: inner, key: key, depth: depth + 1)
            }
        case .bool:
            for _ in 0..<count { _ = try readValue(type: .bool, key: key) }
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64, .float32, .float64:
            // The count was bounded by the bytes left over this size, so this cannot overflow.
            let size = type.fixedSize ?? 1
            try require(count * size, key)
            offset += count * size
        }
    }

    /// Moves to the next multiple of `alignment` (a power of two), which may lie past the end.
    mutating func align(to alignment: Int) {
        let rest = offset % alignment
        if rest != 0 { offset += alignment - rest }
    }
}
