/// Evaluated arguments of a call, filter or test.
struct JinjaCallArguments {
    var positional: [JinjaValue] = []
    var keyword: [String: JinjaValue] = [:]
    /// Keyword names in the order written, for `kwargs` in macros.
    var keywordOrder: [String] = []

    /// The argument at `index`, or the keyword argument `name`, whichever was given.
    func value(_ index: Int, _ name: String) -> JinjaValue? {
        index < positional.count ? positional[index] : keyword[name]
    }

    /// An optional string argument; none counts as not given.
    func string(_ index: Int, _ name: String) throws(JinjaFailure) -> String? {
        guard let value = value(index, name), !value.isNone else { return nil }
        return try value.string("argument '\(name)'")
    }

    /// An optional integer argument; none counts as not given.
    func integer(_ index: Int, _ name: String) throws(JinjaFailure) -> Int? {
        guard let value = value(index, name), !value.isNone else { return nil }
        return try value.integer("argument '\(name)'")
    }
}

extension JinjaInterpreter {
    mutating func evaluate(_ expression: JinjaExpr) throws(JinjaFailure) -> JinjaValue {
        switch expression {
        case .none: return .none
        case let .bool(value): return .bool(value)
        case let .integer(value): return .int(value)
        case let .float(value): return .float(value)
        case let .string(value): return .string(value)
        case let .list(items), let .tuple(items):
            var values: [JinjaValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .list(values)
        case let .dict(entries):
            var dict = JinjaDict()
            for entry in entries { try dict.set(try evaluate(entry.key), try evaluate(entry.value)) }
            return .dict(dict)
        case let .name(name):
            return lookup(name)
        case let .attribute(objectExpression, name):
            let object = try evaluate(objectExpression)
            return try JinjaAccess.attribute(of: object, name, path: describe(expression))
        case let .item(objectExpression, keyExpression):
            let object = try evaluate(objectExpression)
            return try JinjaAccess.item(of: object, try evaluate(keyExpression), path: describe(expression))
        case let .slice(objectExpression, start, stop, step):
            let object = try evaluate(objectExpression)
            return try JinjaAccess.slice(
                object, start: try evaluateOptional(start), stop: try evaluateOptional(stop),
                step: try evaluateOptional(step), path: describe(objectExpression))
        case let .call(callee, arguments):
            return try evaluateCall(callee, try evaluate(arguments))
        case let .filter(value, filter):
            return try JinjaFilters.apply(filter.name, to: try evaluate(value), try evaluate(filter.arguments))
        case let .test(value, name, arguments, negated):
            let result = try JinjaTests.apply(name, to: try evaluate(value), try evaluate(arguments))
            return .bool(result != negated)
        case let .not(operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case let .negate(operand):
            return try JinjaOperators.negate(try evaluate(operand))
        case let .binary(op, left, right):
            return try JinjaOperators.apply(op, try evaluate(left), try evaluate(right))
        case let .and(left, right):
            // Python returns the deciding operand itself, not a bool.
            let first = try evaluate(left)
            return first.isTruthy ? try evaluate(right) : first
        case let .or(left, right):
            let first = try evaluate(left)
            return first.isTruthy ? first : try evaluate(right)
        case let .conditional(condition, then, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else { return .undefined("the missing else branch") }
            return try evaluate(otherwise)
        }
    }

    private mutating func evaluateOptional(_ expression: JinjaExpr?) throws(JinjaFailure) -> JinjaValue? {
        guard let expression else { return nil }
        return try evaluate(expression)
    }

    mutating func evaluate(_ arguments: JinjaArguments) throws(JinjaFailure) -> JinjaCallArguments {
        var result = JinjaCallArguments()
        for argument in arguments.positional { result.positional.append(try evaluate(argument)) }
        for argument in arguments.keyword {
            result.keyword[argument.name] = try evaluate(argument.value)
            result.keywordOrder.append(argument.name)
        }
        return result
    }

    /// Calls a method (`s.strip()`, `d.get(k)`), a macro, or a global function.
    private mutating func evaluateCall(
        _ callee: JinjaExpr, _ arguments: JinjaCallArguments
    ) throws(JinjaFailure) -> JinjaValue {
        let function: JinjaValue
        if case let .attribute(objectExpression, name) = callee {
            let object = try evaluate(objectExpression)
            if case .undefined = object {
                throw .runtime("'\(describe(objectExpression))' is undefined, so '.\(name)()' cannot be called on it")
            }
            if let result = try JinjaMethods.call(name, on: object, arguments) { return result }
            function = try JinjaAccess.attribute(of: object, name, path: describe(callee))
            if case .undefined = function {
                throw .unsupported("the '.\(name)()' method on a \(object.typeName) value")
            }
        } else {
            function = try evaluate(callee)
        }
        switch function {
        case let .macro(macro):
            return try call(macro, arguments)
        case let .function(name):
            return try JinjaGlobals.call(name, arguments)
        case .undefined:
            throw .unsupported("the function '\(describe(callee))()', which is not defined")
        default:
            throw .runtime("'\(describe(callee))' is a \(function.typeName), not a function")
        }
    }

    /// A short source-like rendering of an expression for error messages: `messages[0].role`.
    func describe(_ expression: JinjaExpr) -> String {
        switch expression {
        case let .name(name): name
        case let .attribute(object, name): describe(object) + "." + name
        case let .item(object, .string(key)): describe(object) + "['" + key + "']"
        case let .item(object, .integer(index)): describe(object) + "[" + String(index) + "]"
        case let .item(object, key): describe(object) + "[" + describe(key) + "]"
        case let .slice(object, _, _, _): describe(object) + "[...]"
        case let .call(callee, _): describe(callee) + "(...)"
        case let .string(text): JinjaStringEscapes.pythonRepr(text)
        case let .integer(value): String(value)
        default: "expression"
        }
    }
}
