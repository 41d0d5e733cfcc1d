import Foundation

/// Parsed JSON for reading responses in tests: `json["choices"][0]["message"]["content"].string`.
/// A missing key or index reads as `.missing`, so chains never crash; `#expect` on the leaf.
enum JSONValue: Equatable, Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case missing

    init(parsing bytes: some Sequence<UInt8>) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONValue {
        if case let .object(dictionary) = self { return dictionary[key] ?? .missing }
        return .missing
    }

    subscript(index: Int) -> JSONValue {
        if case let .array(array) = self, array.indices.contains(index) { return array[index] }
        return .missing
    }

    var string: String? { if case let .string(value) = self { value } else { nil } }
    var double: Double? { if case let .number(value) = self { value } else { nil } }
    var int: Int? { double.flatMap { $0 == $0.rounded() ? Int($0) : nil } }
    var bool: Bool? { if case let .bool(value) = self { value } else { nil } }
    var array: [JSONValue]? { if case let .array(value) = self { value } else { nil } }
    var keys: Set<String>? { if case let .object(value) = self { Set(value.keys) } else { nil } }
    var isNull: Bool { self == .null }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
