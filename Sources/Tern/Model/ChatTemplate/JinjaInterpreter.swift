/// Renders parsed statements against a set of variables. One interpreter per render; it owns the
/// output buffer and the stack of variable scopes.
///
/// Scoping follows Jinja: each `for` iteration and each macro call gets a fresh scope, so a
/// `{% set %}` inside them is invisible afterwards (templates use `namespace()` to carry state out);
/// `if` blocks do not open a scope.
struct JinjaInterpreter {
    /// Innermost scope last. `scopes[0]` holds globals, the caller's variables and top-level sets.
    var scopes: [[String: JinjaValue]]
    var output = ""
    var macroDepth = 0
    /// Statements and loop iterations run so far; bounded by `maximumSteps` so nested loops in a
    /// hostile template cannot hang a request.
    var steps = 0
    let maximumSteps: Int

    static let maximumMacroDepth = 100
    /// Generous: a real template spends tens of steps per message.
    static let defaultMaximumSteps = 1_000_000
    /// Longest prompt text a render may produce (bytes of UTF-8).
    static let maximumOutputLength = 1 << 26

    init(variables: [String: JinjaValue], maximumSteps: Int = defaultMaximumSteps) {
        scopes = [JinjaGlobals.values.merging(variables) { _, caller in caller }]
        self.maximumSteps = maximumSteps
    }

    enum Flow {
        case normal
        case breakLoop
        case continueLoop
    }

    mutating func render(_ nodes: [JinjaNode]) throws(JinjaFailure) -> String {
        _ = try execute(nodes)
        return output
    }

    mutating func execute(_ nodes: [JinjaNode]) throws(JinjaFailure) -> Flow {
        for node in nodes {
            let flow: Flow
            do {
                flow = try executeNode(node)
            } catch {
                var failure = error
                if failure.line == nil { failure.line = node.line }
                throw failure
            }
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Counts one statement or loop iteration against the budget.
    private mutating func step() throws(JinjaFailure) {
        steps += 1
        guard steps <= maximumSteps else {
            throw .runtime("the template ran more than \(maximumSteps) statements; it may loop without end")
        }
        guard output.utf8.count <= Self.maximumOutputLength else {
            throw .runtime("the template produced more than \(Self.maximumOutputLength) bytes")
        }
    }

    private mutating func executeNode(_ node: JinjaNode) throws(JinjaFailure) -> Flow {
        try step()
        switch node {
        case let .text(text):
            output += text
        case let .output(expression, _):
            output += try evaluate(expression).text
        case let .conditional(branches, otherwise, _):
            for branch in branches where try evaluate(branch.condition).isTruthy {
                return try execute(branch.body)
            }
            return try execute(otherwise)
        case let .forLoop(loop):
            return try executeFor(loop)
        case let .assign(target, expression, _):
            try assign(try evaluate(expression), to: target)
        case let .assignBlock(name, body, _):
            let captured = try capture(body)
            scopes[scopes.count - 1][name] = .string(captured)
        case let .filterBlock(filter, body, _):
            let captured = try capture(body)
            let arguments = try evaluate(filter.arguments)
            output += try JinjaFilters.apply(filter.name, to: .string(captured), arguments).text
        case let .macro(macro):
            scopes[scopes.count - 1][macro.name] = .macro(macro)
        case .loopBreak:
            return .breakLoop
        case .loopContinue:
            return .continueLoop
        }
        return .normal
    }

    /// Runs `body` with a fresh output buffer and returns what it printed.
    private mutating func capture(_ body: [JinjaNode]) throws(JinjaFailure) -> String {
        let outer = output
        output = ""
        defer { output = outer }
        _ = try execute(body)
        return output
    }

    private mutating func executeFor(_ loop: JinjaForLoop) throws(JinjaFailure) -> Flow {
        var items = try evaluate(loop.iterable).iterated()
        if let filter = loop.filter {
            var kept: [JinjaValue] = []
            for item in items {
                try step()
                scopes.append(try bind(loop.targets, to: item))
                defer { scopes.removeLast() }
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try execute(loop.otherwise) }
        for (index, item) in items.enumerated() {
            try step()
            var scope = try bind(loop.targets, to: item)
            scope["loop"] = .loop(JinjaLoopState(items: items, index: index))
            scopes.append(scope)
            defer { scopes.removeLast() }
            if try execute(loop.body) == .breakLoop { break }
        }
        return .normal
    }

    /// A scope binding the loop variables to one item, unpacking `for a, b in pairs`.
    private func bind(_ names: [String], to item: JinjaValue) throws(JinjaFailure) -> [String: JinjaValue] {
        guard names.count > 1 else { return [names[0]: item] }
        let parts = try item.iterated()
        guard parts.count == names.count else {
            throw .runtime("cannot unpack \(parts.count) values into \(names.count) variables (\(names.joined(separator: ", ")))")
        }
        return Dictionary(uniqueKeysWithValues: zip(names, parts))
    }

    private mutating func assign(_ value: JinjaValue, to target: JinjaAssignTarget) throws(JinjaFailure) {
        switch target {
        case let .name(name):
            scopes[scopes.count - 1][name] = value
        case let .names(names):
            scopes[scopes.count - 1].merge(try bind(names, to: value)) { _, new in new }
        case let .attribute(object, attribute):
            guard case let .namespace(namespace) = lookup(object) else {
                throw .runtime("cannot set '\(object).\(attribute)': '\(object)' is not a namespace()")
            }
            namespace.attributes[attribute] = value
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined(name)
    }

    /// Calls a macro: its body sees the template's top-level variables and its parameters,
    /// and its output becomes the call's string value.
    mutating func call(_ macro: JinjaMacro, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue {
        guard macroDepth < Self.maximumMacroDepth else {
            throw .runtime("macro '\(macro.name)' calls itself more than \(Self.maximumMacroDepth) levels deep")
        }
        var scope: [String: JinjaValue] = [:]
        for (index, parameter) in macro.parameters.enumerated() {
            if index < arguments.positional.count {
                scope[parameter.name] = arguments.positional[index]
            } else if let value = arguments.keyword[parameter.name] {
                scope[parameter.name] = value
            } else if let defaultValue = parameter.defaultValue {
                scope[parameter.name] = try evaluate(defaultValue)
            } else {
                scope[parameter.name] = .undefined(parameter.name)
            }
        }
        scope["varargs"] = .list(Array(arguments.positional.dropFirst(macro.parameters.count)))
        let known = Set(macro.parameters.map(\.name))
        scope["kwargs"] = .dict(JinjaDict(arguments.keywordOrder.filter { !known.contains($0) }.compactMap { name in
            arguments.keyword[name].map { (name, $0) }
        }))
        let outer = (scopes: scopes, output: output)
        scopes = [scopes[0], scope]
        output = ""
        macroDepth += 1
        defer {
            scopes = outer.scopes
            output = outer.output
            macroDepth -= 1
        }
        _ = try execute(macro.body)
        return .string(output)
    }
}

extension JinjaNode {
    var line: Int? {
        switch self {
        case .text: nil
        case let .output(_, line), let .conditional(_, _, line), let .assign(_, _, line),
            let .assignBlock(_, _, line), let .filterBlock(_, _, line), let .loopBreak(line), let .loopContinue(line):
            line
        case let .forLoop(loop): loop.line
        case let .macro(macro): macro.line
        }
    }
}
