/// A runtime value in the template interpreter, with Python's semantics (templates are written
/// for Jinja running on Python): truthiness, `==`, `str()` and `repr()`.
enum JinjaValue {
    /// A missing variable, attribute or key. Renders as nothing and is falsy; using it in
    /// arithmetic or looking inside it is an error that names `description`.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// Lists and tuples alike.
    case list([JinjaValue])
    case dict(JinjaDict)
    /// `namespace(...)`: the one mutable object, so `{% set ns.x = ... %}` is seen outside loops.
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    /// A global function such as `raise_exception` or `range`.
    case function(String)
    /// The `loop` variable inside a for loop; its fields are computed when read.
    case loop(JinjaLoopState)

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case let .bool(value): value
        case let .int(value): value != 0
        case let .float(value): value != 0
        case let .string(value): !value.isEmpty
        case let .list(items): !items.isEmpty
        case let .dict(dict): !dict.isEmpty
        case .namespace, .macro, .function, .loop: true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .macro: "macro"
        case .function: "function"
        case .loop: "LoopContext"
        }
    }

    /// Numeric value for arithmetic and comparisons (`True` counts as 1, as in Python).
    var number: Double? {
        switch self {
        case let .int(value): Double(value)
        case let .float(value): value
        case let .bool(value): value ? 1 : 0
        default: nil
        }
    }

    /// What `{{ value }}` prints: Python's `str()`, with undefined printing nothing.
    var text: String {
        switch self {
        case .undefined: ""
        case let .string(value): value
        default: repr
        }
    }

    /// Python's `repr()`, used for values nested inside printed lists and dicts.
    var repr: String { repr(depth: 0) }

    /// A namespace can contain itself, so printing stops descending at a fixed depth.
    private func repr(depth: Int) -> String {
        guard depth < 100 else { return "..." }
        return switch self {
        case .undefined: ""
        case .none: "None"
        case let .bool(value): value ? "True" : "False"
        case let .int(value): String(value)
        case let .float(value): Self.pythonFloat(value)
        case let .string(value): JinjaStringEscapes.pythonRepr(value)
        case let .list(items): "[" + items.map { $0.repr(depth: depth + 1) }.joined(separator: ", ") + "]"
        case let .dict(dict):
            "{" + dict.entries.map { $0.key.repr + ": " + $0.value.repr(depth: depth + 1) }
                .joined(separator: ", ") + "}"
        case let .namespace(namespace): "<Namespace " + JinjaValue.dict(namespace.attributes).repr(depth: depth + 1) + ">"
        case let .macro(macro): "<Macro '\(macro.name)'>"
        case let .function(name): "<function \(name)>"
        case let .loop(state): "<LoopContext \(state.index + 1)/\(state.items.count)>"
        }
    }

    /// Python's float repr: shortest round-trip digits, `.0` on whole numbers, exponent outside
    /// [1e-4, 1e16).
    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let magnitude = abs(value)
        if magnitude != 0, magnitude < 1e-4 || magnitude >= 1e16 {
            return value.description
        }
        if value == value.rounded(), let whole = Int(exactly: value) {
            return (value.sign == .minus && whole == 0 ? "-" : "") + String(whole) + ".0"
        }
        return value.description
    }

    /// Python `==`: numbers compare across int, float and bool; containers compare deeply.
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a == b
        case let (.list(a), .list(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case let (.dict(a), .dict(b)):
            return a.count == b.count && a.entries.allSatisfy { entry in
                ((try? b.value(for: entry.key)) ?? nil).map { entry.value.equals($0) } ?? false
            }
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.macro(a), .macro(b)): return a.name == b.name && a.line == b.line
        case let (.function(a), .function(b)): return a == b
        default:
            if case let (.int(a), .int(b)) = (self, other) { return a == b }
            guard let a = number, let b = other.number else { return false }
            return a == b
        }
    }

    /// The items a `for` loop or a filter walks over: list items, dict keys, string characters.
    func iterated() throws(JinjaFailure) -> [JinjaValue] {
        switch self {
        case .undefined: return []
        case let .list(items): return items
        case let .dict(dict): return dict.keys
        case let .string(text): return text.map { .string(String($0)) }
        case let .namespace(namespace): return namespace.attributes.keys
        default: throw .runtime("'\(typeName)' object is not iterable")
        }
    }

    /// The string value or a runtime error naming what was expected.
    func string(_ role: String) throws(JinjaFailure) -> String {
        guard case let .string(text) = self else {
            throw .runtime("\(role) must be a string, not \(typeName)")
        }
        return text
    }

    func integer(_ role: String) throws(JinjaFailure) -> Int {
        switch self {
        case let .int(value): return value
        case let .bool(value): return value ? 1 : 0
        default: throw .runtime("\(role) must be an integer, not \(typeName)")
        }
    }
}

/// Where a for loop is: the (filtered) items and the current position. Cheap to create per
/// iteration, since the items array is shared, not copied.
struct JinjaLoopState {
    var items: [JinjaValue]
    var index: Int

    /// `loop.index`, `loop.first`, ... as Jinja defines them.
    func field(_ name: String) -> JinjaValue? {
        switch name {
        case "index": .int(index + 1)
        case "index0": .int(index)
        case "revindex": .int(items.count - index)
        case "revindex0": .int(items.count - index - 1)
        case "first": .bool(index == 0)
        case "last": .bool(index == items.count - 1)
        case "length": .int(items.count)
        case "previtem": index > 0 ? items[index - 1] : nil
        case "nextitem": index + 1 < items.count ? items[index + 1] : nil
        default: nil
        }
    }
}

/// A mutable bag of attributes, shared by reference like Jinja's `namespace`.
final class JinjaNamespace {
    var attributes: JinjaDict

    init(attributes: JinjaDict) {
        self.attributes = attributes
    }
}
