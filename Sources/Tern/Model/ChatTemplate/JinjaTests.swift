/// Jinja's tests: the `name` in `value is name` / `value is not name(args)`.
enum JinjaTests {
    /// Names the parser accepts; anything else is reported as unsupported at parse time.
    static let supported: Set<String> = [
        "defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer",
        "float", "boolean", "true", "false", "callable", "equalto", "eq", "ne", "lt", "le", "gt", "ge",
        "lessthan", "greaterthan", "in", "odd", "even", "divisibleby", "lower", "upper", "sameas",
    ]

    static func apply(_ name: String, to value: JinjaValue, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> Bool {
        func argument() throws(JinjaFailure) -> JinjaValue {
            guard let first = arguments.positional.first ?? arguments.keyword.values.first else {
                throw .runtime("the '\(name)' test needs an argument")
            }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "string":
            if case .string = value { return true }
            return false
        case "mapping":
            if case .dict = value { return true }
            return false
        case "iterable", "sequence":
            switch value {
            case .string, .list, .dict: return true
            default: return false
            }
        case "number": return value.number != nil
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .float = value { return true }
            return false
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true":
            if case .bool(true) = value { return true }
            return false
        case "false":
            if case .bool(false) = value { return true }
            return false
        case "callable":
            switch value {
            case .macro, .function: return true
            default: return false
            }
        case "equalto", "eq": return value.equals(try argument())
        case "ne": return !value.equals(try argument())
        case "sameas": return value.isSame(as: try argument())
        case "lt", "lessthan": return try JinjaOperators.apply(.less, value, try argument()).isTruthy
        case "le": return try JinjaOperators.apply(.lessEqual, value, try argument()).isTruthy
        case "gt", "greaterthan": return try JinjaOperators.apply(.greater, value, try argument()).isTruthy
        case "ge": return try JinjaOperators.apply(.greaterEqual, value, try argument()).isTruthy
        case "in": return try JinjaOperators.contains(try argument(), value)
        case "odd", "even":
            let number = try value.integer("the value tested with '\(name)'")
            return (number % 2 != 0) == (name == "odd")
        case "divisibleby":
            let divisor = try argument().integer("the divisor")
            guard divisor != 0 else { throw .runtime("divisibleby 0") }
            let number = try value.integer("the value tested with 'divisibleby'")
            return number.remainderReportingOverflow(dividingBy: divisor).partialValue == 0
        case "lower", "upper":
            guard case let .string(text) = value else { return false }
            return text == (name == "lower" ? text.lowercased() : text.uppercased())
        default:
            throw .unsupported("the '\(name)' test")
        }
    }
}

extension JinjaValue {
    /// Python's `is` for the values where it is meaningful in templates (singletons and objects).
    func isSame(as other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.none, .none), (.undefined, .undefined): true
        case let (.bool(a), .bool(b)): a == b
        case let (.namespace(a), .namespace(b)): a === b
        case let (.int(a), .int(b)): a == b
        case let (.string(a), .string(b)): a == b
        default: false
        }
    }
}
