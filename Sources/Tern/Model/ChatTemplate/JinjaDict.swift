/// A dictionary that keeps insertion order, like a Python dict (so `items()` and `tojson` list
/// keys in the order the template or the caller wrote them). Keys are strings, numbers, booleans
/// or none; as in Python, `1`, `1.0` and `true` are the same key.
struct JinjaDict {
    /// The keys as first inserted, in order.
    private(set) var keys: [JinjaValue] = []
    private var storage: [Key: JinjaValue] = [:]

    /// The hashable identity of a key.
    private enum Key: Hashable {
        case string(String)
        case number(Double)
        case none
    }

    init() {}

    init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    private static func key(_ value: JinjaValue) throws(JinjaFailure) -> Key {
        switch value {
        case let .string(text): return .string(text)
        case .none: return .none
        default:
            guard let number = value.number, !number.isNaN else {
                throw .runtime("a \(value.typeName) cannot be a dict key")
            }
            return .number(number)
        }
    }

    subscript(key: String) -> JinjaValue? {
        get { storage[.string(key)] }
        set { insert(.string(key), original: .string(key), newValue) }
    }

    func value(for key: JinjaValue) throws(JinjaFailure) -> JinjaValue? {
        storage[try Self.key(key)]
    }

    func contains(_ key: JinjaValue) -> Bool {
        guard let hashable = try? Self.key(key) else { return false }
        return storage[hashable] != nil
    }

    mutating func set(_ key: JinjaValue, _ value: JinjaValue) throws(JinjaFailure) {
        insert(try Self.key(key), original: key, value)
    }

    private mutating func insert(_ key: Key, original: JinjaValue, _ value: JinjaValue?) {
        if let value {
            if storage.updateValue(value, forKey: key) == nil { keys.append(original) }
        } else if storage.removeValue(forKey: key) != nil {
            keys.removeAll { (try? Self.key($0)) == key }
        }
    }

    var entries: [(key: JinjaValue, value: JinjaValue)] {
        keys.compactMap { key in (try? Self.key(key)).flatMap { storage[$0] }.map { (key, $0) } }
    }

    var values: [JinjaValue] { entries.map(\.value) }
}

extension JinjaValue {
    /// A dict key as JSON writes it: strings as they are, `true`, `null`, numbers as printed.
    var jsonKey: String {
        switch self {
        case let .string(text): text
        case let .bool(flag): flag ? "true" : "false"
        case .none: "null"
        default: repr
        }
    }
}
