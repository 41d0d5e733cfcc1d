/// Binary and unary operators with Python's semantics: `+` adds numbers and concatenates
/// strings and lists, `/` always gives a float, `//` and `%` floor toward negative infinity,
/// `~` joins the printed forms. Integer overflow and division by zero are errors, never crashes.
enum JinjaOperators {
    /// Longest string or list `+`, `~` and `*` may build, so a hostile template cannot exhaust memory.
    static let maximumRepeatedLength = 1 << 24

    static func apply(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        switch op {
        case .concat:
            let (a, b) = (left.text, right.text)
            guard a.utf8.count + b.utf8.count <= maximumRepeatedLength else { throw .runtime("string grew too long") }
            return .string(a + b)
        case .equal: return .bool(left.equals(right))
        case .notEqual: return .bool(!left.equals(right))
        case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, left, right))
        case .contains: return .bool(try contains(right, left))
        case .notContains: return .bool(!(try contains(right, left)))
        default: break
        }
        for operand in [left, right] {
            if case let .undefined(what) = operand {
                throw .runtime("'\(what)' is undefined and cannot be used with '\(op.rawValue)'")
            }
        }
        switch (op, left, right) {
        case let (.add, .string(a), .string(b)):
            guard a.utf8.count + b.utf8.count <= maximumRepeatedLength else { throw .runtime("string grew too long") }
            return .string(a + b)
        case let (.add, .list(a), .list(b)):
            guard a.count + b.count <= maximumRepeatedLength else { throw .runtime("list grew too long") }
            return .list(a + b)
        case let (.multiply, .string(text), .int(count)), let (.multiply, .int(count), .string(text)):
            guard count <= 0 || text.utf8.count <= maximumRepeatedLength / count else {
                throw .runtime("string repeated \(count) times is too long")
            }
            return .string(String(repeating: text, count: max(0, count)))
        case let (.multiply, .list(items), .int(count)), let (.multiply, .int(count), .list(items)):
            guard count <= 0 || items.count <= maximumRepeatedLength / count else {
                throw .runtime("list repeated \(count) times is too long")
            }
            return .list(Array(repeatElement(items, count: max(0, count)).joined()))
        case (.modulo, .string, _):
            throw .unsupported("'%' string formatting")
        default:
            return try arithmetic(op, left, right)
        }
    }

    private static func arithmetic(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        guard let a = left.number, let b = right.number else {
            throw .runtime("cannot apply '\(op.rawValue)' to \(left.typeName) and \(right.typeName)")
        }
        let bothIntegers = left.isIntegral && right.isIntegral
        if bothIntegers, op != .divide, let x = try? left.integer(""), let y = try? right.integer("") {
            return .int(try integerArithmetic(op, x, y))
        }
        switch op {
        case .add: return .float(a + b)
        case .subtract: return .float(a - b)
        case .multiply: return .float(a * b)
        case .power: return .float(JinjaPlatform.power(a, b))
        case .divide, .floorDivide, .modulo:
            guard b != 0 else { throw .runtime("division by zero") }
            if op == .divide { return .float(a / b) }
            let quotient = (a / b).rounded(.down)
            return .float(op == .floorDivide ? quotient : a - quotient * b)
        default: throw .runtime("cannot apply '\(op.rawValue)' to numbers")
        }
    }

    private static func integerArithmetic(_ op: JinjaBinaryOperator, _ a: Int, _ b: Int) throws(JinjaFailure) -> Int {
        let result: (partialValue: Int, overflow: Bool)
        switch op {
        case .add: result = a.addingReportingOverflow(b)
        case .subtract: result = a.subtractingReportingOverflow(b)
        case .multiply: result = a.multipliedReportingOverflow(by: b)
        case .floorDivide, .modulo:
            guard b != 0 else { throw .runtime("integer division or modulo by zero") }
            let division = a.dividedReportingOverflow(by: b)
            guard !division.overflow else { throw .runtime("integer overflow in '\(op.rawValue)'") }
            var quotient = division.partialValue
            var remainder = a - quotient * b
            // Swift truncates toward zero; Python floors.
            if remainder != 0, (remainder < 0) != (b < 0) {
                quotient -= 1
                remainder += b
            }
            return op == .floorDivide ? quotient : remainder
        case .power:
            guard b >= 0 else { throw .unsupported("'**' with a negative integer exponent") }
            var value = 1
            for _ in 0..<min(b, 64) {
                let step = value.multipliedReportingOverflow(by: a)
                guard !step.overflow else { throw .runtime("integer overflow in '**'") }
                value = step.partialValue
            }
            if b > 64, a != 0, a != 1, a != -1 { throw .runtime("integer overflow in '**'") }
            return b > 64 && a == -1 ? (b % 2 == 0 ? 1 : -1) : value
        default: throw .runtime("cannot apply '\(op.rawValue)' to integers")
        }
        guard !result.overflow else { throw .runtime("integer overflow in '\(op.rawValue)'") }
        return result.partialValue
    }

    private static func compare(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue) throws(JinjaFailure) -> Bool {
        let ordered: Bool?
        switch (left, right) {
        case let (.string(a), .string(b)):
            // Python compares strings by code point.
            let x = Array(a.unicodeScalars.map(\.value)), y = Array(b.unicodeScalars.map(\.value))
            ordered = order(op, x.lexicographicallyPrecedes(y), x == y)
        default:
            if let a = left.number, let b = right.number { ordered = order(op, a < b, a == b) } else { ordered = nil }
        }
        guard let ordered else {
            throw .runtime("cannot compare \(left.typeName) and \(right.typeName) with '\(op.rawValue)'")
        }
        return ordered
    }

    private static func order(_ op: JinjaBinaryOperator, _ less: Bool, _ equal: Bool) -> Bool {
        switch op {
        case .less: less
        case .lessEqual: less || equal
        case .greater: !less && !equal
        default: !less
        }
    }

    /// Python's `needle in container`.
    static func contains(_ container: JinjaValue, _ needle: JinjaValue) throws(JinjaFailure) -> Bool {
        switch container {
        case let .string(text):
            guard case let .string(part) = needle else {
                throw .runtime("'in <string>' needs a string on the left, not \(needle.typeName)")
            }
            return JinjaText.find(part, in: text) != nil
        case let .list(items): return items.contains { $0.equals(needle) }
        case let .dict(dict): return dict.contains(needle)
        case let .namespace(namespace): return namespace.attributes.contains(needle)
        case .undefined: return false
        default: throw .runtime("argument of type '\(container.typeName)' is not a container")
        }
    }

    static func negate(_ value: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        switch value {
        case let .int(number):
            guard number != .min else { throw .runtime("integer overflow in '-'") }
            return .int(-number)
        case let .bool(flag): return .int(flag ? -1 : 0)
        case let .float(number): return .float(-number)
        default: throw .runtime("cannot negate a \(value.typeName)")
        }
    }
}

extension JinjaValue {
    /// Int or bool: the operands Python keeps as integers.
    var isIntegral: Bool {
        switch self {
        case .int, .bool: true
        default: false
        }
    }
}
