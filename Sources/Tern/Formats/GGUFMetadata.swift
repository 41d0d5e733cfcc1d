/// The metadata of an open GGUF file, by key.
///
/// Scalars and strings are decoded when the file is opened. Arrays are validated then
/// (every length, bool and nesting checked, so a corrupt array still fails the open) but
/// stay in the mapped file until asked for: the tokenizer's vocabulary, merges and token
/// types (~150,000 values for SmolLM2, ~3.5 MB as `GGUFValue`s) cost no memory in a run
/// that builds no tokenizer, such as `tern bench`.
public struct GGUFMetadata: Sendable {
    enum Entry: Sendable {
        case value(GGUFValue)
        case array(StoredArray)
    }

    /// An array left in the file: its elements start at byte `offset` of the mapping.
    struct StoredArray: Sendable {
        let elementType: GGUFValueType
        let count: Int
        let offset: Int
    }

    private let entries: [String: Entry]
    /// Kept alive here too: arrays are read from it after `GGUFFile.init` released the
    /// header's pages, which fault back in from the file.
    private let mapping: MappedFile

    init(entries: [String: Entry], mapping: MappedFile) {
        self.entries = entries
        self.mapping = mapping
    }

    /// Number of keys.
    public var count: Int { entries.count }

    /// The value of `key`, or nil. An array is decoded on every call (keep the result, or use
    /// `GGUFFile.stringArray`, `intArray` and `floatArray`, which skip the `GGUFValue`s).
    /// It was validated when the file was opened, so it decodes unless the file was changed
    /// on disk since; then this is nil.
    public subscript(key: String) -> GGUFValue? {
        switch entries[key] {
        case nil: return nil
        case let .value(value)?: return value
        case let .array(array)?:
            var reader = reader(at: array)
            var values: [GGUFValue] = []
            values.reserveCapacity(array.count)
            for _ in 0..<array.count {
                guard let value = try? reader.readValue(type: array.elementType, key: key, depth: 1) else { return nil }
                values.append(value)
            }
            return .array(elementType: array.elementType, values)
        }
    }

    /// The value of `key` when it is not an array, without decoding one; else nil.
    func scalar(_ key: String) -> GGUFValue? {
        if case let .value(value)? = entries[key] { value } else { nil }
    }

    /// Every key's value, arrays decoded: for copying or comparing whole files.
    public var allValues: [String: GGUFValue] {
        var values: [String: GGUFValue] = [:]
        for key in entries.keys { values[key] = self[key] }
        return values
    }

    /// The elements of array `key`, each converted by `convert`, without building the
    /// array's `GGUFValue`s; nil when the key is absent.
    /// - Throws: `GGUFError.wrongValueType` (saying `expected`) when `key` is not an array or
    ///   an element does not convert.
    func elements<Element>(
        of key: String, expected: String, _ convert: (GGUFValue) -> Element?
    ) throws(GGUFError) -> [Element]? {
        switch entries[key] {
        case nil: return nil
        case .value?: throw .wrongValueType(path: mapping.path, key: key, expected: expected)
        case let .array(array)?:
            var reader = reader(at: array)
            var result: [Element] = []
            result.reserveCapacity(array.count)
            for _ in 0..<array.count {
                let value = try reader.readValue(type: array.elementType, key: key, depth: 1)
                guard let element = convert(value) else {
                    throw .wrongValueType(path: mapping.path, key: key, expected: expected)
                }
                result.append(element)
            }
            return result
        }
    }

    private func reader(at array: StoredArray) -> GGUFReader {
        GGUFReader(bytes: mapping.bytes, path: mapping.path, offset: array.offset)
    }
}
