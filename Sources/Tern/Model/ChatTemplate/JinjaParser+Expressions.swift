/// Expression parsing, with Jinja's precedence from loosest to tightest:
/// `a if c else b` · `or` · `and` · `not` · comparisons and `in` · `+ -` · `~` · `* / // %` · `**` ·
/// unary `- +` · primary with `.attr`, `[key]`, `(call)`, then filters `|f` and tests `is t`.
extension JinjaParser {
    /// An expression, or several separated by commas (a tuple without parentheses).
    mutating func parseTuple(allowConditional: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
        let first = allowConditional ? try parseExpression() : try parseOr()
        guard current.isSymbol(",") else { return first }
        var items = [first]
        while skip(symbol: ","), !endsTuple {
            items.append(allowConditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    private var endsTuple: Bool {
        switch current.kind {
        case .statementEnd, .expressionEnd, .endOfInput: true
        case let .symbol(symbol): [")", "]", "}", "="].contains(symbol)
        case let .name(name): name == "if"
        default: false
        }
    }

    mutating func parseExpression() throws(ChatTemplateError) -> JinjaExpr {
        try enterNesting(line: current.line)
        defer { depth -= 1 }
        var expression = try parseOr()
        while skip(name: "if") {
            let condition = try parseOr()
            let otherwise = skip(name: "else") ? try parseExpression() : nil
            expression = .conditional(condition: condition, then: expression, otherwise: otherwise)
        }
        return expression
    }

    private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseAnd()
        while skip(name: "or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseNot()
        while skip(name: "and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpr {
        guard skip(name: "not") else { return try parseComparison() }
        try enterNesting(line: current.line)
        defer { depth -= 1 }
        return .not(try parseNot())
    }

    /// `a < b < c` means `a < b and b < c`, as in Python.
    private mutating func parseComparison() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseArithmetic()
        var comparisons: [JinjaExpr] = []
        while true {
            let op: JinjaBinaryOperator
            if case let .symbol(symbol) = current.kind, let comparison = JinjaBinaryOperator(rawValue: symbol),
                [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual].contains(comparison)
            {
                advance()
                op = comparison
            } else if skip(name: "in") {
                op = .contains
            } else if current.isName("not"), next.isName("in") {
                advance()
                advance()
                op = .notContains
            } else {
                break
            }
            let right = try parseArithmetic()
            comparisons.append(.binary(op, left, right))
            left = right
        }
        guard var combined = comparisons.first else { return left }
        for comparison in comparisons.dropFirst() { combined = .and(combined, comparison) }
        return combined
    }

    private mutating func parseArithmetic() throws(ChatTemplateError) -> JinjaExpr {
        try parseLeftAssociative([.add, .subtract]) { (parser) throws(ChatTemplateError) in
            try parser.parseLeftAssociative([.concat]) { (parser) throws(ChatTemplateError) in
                try parser.parseLeftAssociative([.multiply, .divide, .floorDivide, .modulo]) {
                    (parser) throws(ChatTemplateError) in
                    try parser.parseLeftAssociative([.power]) { (parser) throws(ChatTemplateError) in
                        try parser.parseUnary(withFilters: true)
                    }
                }
            }
        }
    }

    private mutating func parseLeftAssociative(
        _ operators: [JinjaBinaryOperator],
        operand: (inout JinjaParser) throws(ChatTemplateError) -> JinjaExpr
    ) throws(ChatTemplateError) -> JinjaExpr {
        var left = try operand(&self)
        while case let .symbol(symbol) = current.kind, let op = JinjaBinaryOperator(rawValue: symbol),
            operators.contains(op)
        {
            advance()
            left = .binary(op, left, try operand(&self))
        }
        return left
    }

    private mutating func parseUnary(withFilters: Bool) throws(ChatTemplateError) -> JinjaExpr {
        try enterNesting(line: current.line)
        defer { depth -= 1 }
        var expression: JinjaExpr
        if skip(symbol: "-") {
            expression = .negate(try parseUnary(withFilters: false))
        } else if skip(symbol: "+") {
            expression = try parseUnary(withFilters: false)
        } else {
            expression = try parsePostfix(try parsePrimary())
        }
        return withFilters ? try parseFiltersAndTests(expression) : expression
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpr {
        let token = advance()
        switch token.kind {
        case let .name(name):
            switch name {
            case "true", "True": return .bool(true)
            case "false", "False": return .bool(false)
            case "none", "None": return .none
            default: return .name(name)
            }
        case var .string(value):
            // Adjacent literals concatenate: `"a" "b"` is `"ab"`.
            while case let .string(more) = current.kind {
                value += more
                advance()
            }
            return .string(value)
        case let .integer(value): return .integer(value)
        case let .float(value): return .float(value)
        case .symbol("("):
            if skip(symbol: ")") { return .tuple([]) }
            let inner = try parseTuple()
            try expect(symbol: ")", context: "to close '('")
            return inner
        case .symbol("["):
            var items: [JinjaExpr] = []
            while !current.isSymbol("]") {
                items.append(try parseExpression())
                if !skip(symbol: ",") { break }
            }
            try expect(symbol: "]", context: "to close the list")
            return .list(items)
        case .symbol("{"):
            var entries: [JinjaDictEntry] = []
            while !current.isSymbol("}") {
                let key = try parseExpression()
                try expect(symbol: ":", context: "after a dict key")
                entries.append(JinjaDictEntry(key: key, value: try parseExpression()))
                if !skip(symbol: ",") { break }
            }
            try expect(symbol: "}", context: "to close the dict")
            return .dict(entries)
        default:
            throw .syntax(line: token.line, message: "expected an expression, found \(token.display)")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expression = base
        while true {
            if skip(symbol: ".") {
                switch advance().kind {
                case let .name(name): expression = .attribute(expression, name)
                case let .integer(index): expression = .item(expression, .integer(index))
                default: throw .syntax(line: current.line, message: "expected an attribute name after '.'")
                }
            } else if skip(symbol: "[") {
                expression = try parseSubscript(expression)
            } else if current.isSymbol("(") {
                expression = .call(expression, try parseCallArguments())
            } else {
                return expression
            }
        }
    }

    /// After `[`: either `[key]` or a slice `[start:stop:step]` with any part left out.
    private mutating func parseSubscript(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        let start = current.isSymbol(":") ? nil : try parseExpression()
        guard skip(symbol: ":") else {
            try expect(symbol: "]", context: "to close the subscript")
            guard let start else { throw .syntax(line: current.line, message: "empty subscript '[]'") }
            return .item(base, start)
        }
        let stop = current.isSymbol(":") || current.isSymbol("]") ? nil : try parseExpression()
        var step: JinjaExpr?
        if skip(symbol: ":"), !current.isSymbol("]") { step = try parseExpression() }
        try expect(symbol: "]", context: "to close the slice")
        return .slice(base, start: start, stop: stop, step: step)
    }

    mutating func parseCallArguments() throws(ChatTemplateError) -> JinjaArguments {
        try expect(symbol: "(", context: "to start the arguments")
        var arguments = JinjaArguments()
        while !current.isSymbol(")") {
            if current.isSymbol("*") || current.isSymbol("**") {
                throw .unsupported(construct: "'*args' or '**kwargs' in a call", line: current.line)
            }
            if case let .name(name) = current.kind, next.isSymbol("=") {
                advance()
                advance()
                arguments.keyword.append(JinjaKeywordArgument(name: name, value: try parseExpression()))
            } else {
                arguments.positional.append(try parseExpression())
            }
            if !skip(symbol: ",") { break }
        }
        try expect(symbol: ")", context: "to close the arguments")
        return arguments
    }

    /// `name` or `name(args)` after `|` (or `{% filter`), checked against the filters Tern has.
    mutating func parseFilterCall() throws(ChatTemplateError) -> JinjaFilterCall {
        let line = current.line
        let name = try expectName("as a filter name")
        guard JinjaFilters.supported.contains(name) else {
            throw .unsupported(construct: "the '\(name)' filter", line: line)
        }
        let arguments = current.isSymbol("(") ? try parseCallArguments() : JinjaArguments()
        return JinjaFilterCall(name: name, arguments: arguments)
    }

    private mutating func parseFiltersAndTests(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expression = base
        while true {
            if skip(symbol: "|") {
                expression = .filter(expression, try parseFilterCall())
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                let line = current.line
                let name = try expectName("as a test name after 'is'")
                guard JinjaTests.supported.contains(name) else {
                    throw .unsupported(construct: "the '\(name)' test", line: line)
                }
                var arguments = JinjaArguments()
                if current.isSymbol("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expression = .test(expression, name: name, arguments, negated: negated)
            } else if current.isSymbol("(") {
                expression = .call(expression, try parseCallArguments())
            } else {
                return expression
            }
        }
    }

    /// Whether a test takes the next token as its one unparenthesised argument (`is divisibleby 3`).
    private var startsTestArgument: Bool {
        switch current.kind {
        case let .name(name): !["else", "or", "and", "if", "in", "not", "is"].contains(name)
        case .string, .integer, .float: true
        case let .symbol(symbol): symbol == "[" || symbol == "{"
        default: false
        }
    }
}
