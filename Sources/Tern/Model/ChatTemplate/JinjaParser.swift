/// Turns tokens into statements (`JinjaNode`). Expressions are in `JinjaParser+Expressions.swift`.
///
/// Recognises the Jinja statements chat templates use; valid Jinja beyond that (`include`,
/// `call`, `raw`, recursive loops, ...) is reported as `ChatTemplateError.unsupported` with its
/// line, never silently mis-rendered.
struct JinjaParser {
    var tokens: [JinjaToken]
    var index = 0
    /// Current nesting of blocks and expressions; bounded so hostile input cannot overflow the stack.
    var depth = 0
    /// How many `for` loops enclose the current statement (for `break`/`continue`).
    var loopDepth = 0

    static let maximumDepth = 200

    static func parse(_ source: String) throws(ChatTemplateError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        return try parser.parseBody(until: [], opener: nil).nodes
    }

    private init(tokens: [JinjaToken]) {
        self.tokens = tokens
    }

    // MARK: Token access

    /// The lexer always ends the stream with `.endOfInput`, so `index` never passes the last token.
    var current: JinjaToken { tokens[index] }
    var next: JinjaToken { tokens[min(index + 1, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> JinjaToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    mutating func skip(symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        advance()
        return true
    }

    mutating func skip(name: String) -> Bool {
        guard current.isName(name) else { return false }
        advance()
        return true
    }

    mutating func expect(symbol: String, context: String) throws(ChatTemplateError) {
        guard skip(symbol: symbol) else {
            throw .syntax(line: current.line, message: "expected '\(symbol)' \(context), found \(current.display)")
        }
    }

    mutating func expectName(_ context: String) throws(ChatTemplateError) -> String {
        guard case let .name(name) = current.kind else {
            throw .syntax(line: current.line, message: "expected a name \(context), found \(current.display)")
        }
        advance()
        return name
    }

    mutating func expectStatementEnd(_ keyword: String) throws(ChatTemplateError) {
        guard current.kind == .statementEnd else {
            throw .syntax(line: current.line, message: "expected '%}' to end '{% \(keyword)', found \(current.display)")
        }
        advance()
    }

    mutating func enterNesting(line: Int) throws(ChatTemplateError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw .syntax(line: line, message: "blocks or expressions are nested more than \(Self.maximumDepth) deep")
        }
    }

    // MARK: Statements

    /// Parses nodes until `{% tag` for a tag in `endTags`, consuming `{%` and the tag name (the rest
    /// of that tag is left for the caller). Returns nil for the tag at end of input, which is only
    /// valid at the top level.
    mutating func parseBody(
        until endTags: Set<String>, opener: (keyword: String, line: Int)?
    ) throws(ChatTemplateError) -> (nodes: [JinjaNode], endTag: String?) {
        try enterNesting(line: current.line)
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case let .text(text):
                advance()
                nodes.append(.text(text))
            case .expressionStart:
                advance()
                let expression = try parseTuple()
                guard current.kind == .expressionEnd else {
                    throw .syntax(line: current.line, message: "expected '}}' to end '{{', found \(current.display)")
                }
                advance()
                nodes.append(.output(expression, line: token.line))
            case .statementStart:
                advance()
                let keyword = try expectName("after '{%'")
                if endTags.contains(keyword) { return (nodes, keyword) }
                nodes.append(contentsOf: try parseStatement(keyword, line: token.line))
            case .endOfInput:
                if let opener {
                    let ends = endTags.sorted().map { "'{% \($0) %}'" }.joined(separator: " or ")
                    throw .syntax(line: opener.line, message: "'{% \(opener.keyword) %}' is never closed with \(ends)")
                }
                return (nodes, nil)
            default:
                throw .syntax(line: token.line, message: "unexpected \(token.display) outside a tag")
            }
        }
    }

    private static let closingKeywords: Set<String> = [
        "elif", "else", "endif", "endfor", "endmacro", "endset", "endfilter", "endgeneration",
    ]
    private static let unsupportedKeywords: Set<String> = [
        "raw", "call", "include", "import", "from", "extends", "block", "with", "autoescape", "do", "trans",
    ]

    /// Parses one statement after its keyword; returns the nodes it expands to.
    private mutating func parseStatement(_ keyword: String, line: Int) throws(ChatTemplateError) -> [JinjaNode] {
        switch keyword {
        case "if": return [try parseIf(line: line)]
        case "for": return [try parseFor(line: line)]
        case "set": return [try parseSet(line: line)]
        case "macro": return [try parseMacro(line: line)]
        case "filter": return [try parseFilterBlock(line: line)]
        case "break", "continue":
            guard loopDepth > 0 else {
                throw .syntax(line: line, message: "'{% \(keyword) %}' outside a for loop")
            }
            try expectStatementEnd(keyword)
            return [keyword == "break" ? .loopBreak(line: line) : .loopContinue(line: line)]
        case "generation":
            // Hugging Face's marker for assistant-token masks; renders its body unchanged.
            try expectStatementEnd(keyword)
            let body = try parseBody(until: ["endgeneration"], opener: (keyword, line)).nodes
            try expectStatementEnd("endgeneration")
            return body
        default:
            if Self.closingKeywords.contains(keyword) {
                throw .syntax(line: line, message: "'{% \(keyword) %}' has no matching opening tag")
            }
            if Self.unsupportedKeywords.contains(keyword) {
                throw .unsupported(construct: "the '{% \(keyword) %}' statement", line: line)
            }
            throw .syntax(line: line, message: "unknown statement '{% \(keyword) %}'")
        }
    }

    private mutating func parseIf(line: Int) throws(ChatTemplateError) -> JinjaNode {
        var branches: [JinjaBranch] = []
        var condition = try parseExpression()
        var keyword = "if"
        while true {
            try expectStatementEnd(keyword)
            let (body, endTag) = try parseBody(until: ["elif", "else", "endif"], opener: ("if", line))
            branches.append(JinjaBranch(condition: condition, body: body))
            switch endTag {
            case "elif":
                keyword = "elif"
                condition = try parseExpression()
            case "else":
                try expectStatementEnd("else")
                let otherwise = try parseBody(until: ["endif"], opener: ("if", line)).nodes
                try expectStatementEnd("endif")
                return .conditional(branches: branches, otherwise: otherwise, line: line)
            default:
                try expectStatementEnd("endif")
                return .conditional(branches: branches, otherwise: [], line: line)
            }
        }
    }

    private mutating func parseFor(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let parenthesized = skip(symbol: "(")
        var targets = [try expectName("after '{% for'")]
        while skip(symbol: ",") { targets.append(try expectName("in the loop variables")) }
        if parenthesized { try expect(symbol: ")", context: "after the loop variables") }
        guard skip(name: "in") else {
            throw .syntax(line: current.line, message: "expected 'in' in '{% for', found \(current.display)")
        }
        // No `a if b else c` here, so that a trailing `if` is the loop filter.
        let iterable = try parseTuple(allowConditional: false)
        let filter = skip(name: "if") ? try parseExpression() : nil
        if current.isName("recursive") {
            throw .unsupported(construct: "a recursive for loop", line: current.line)
        }
        try expectStatementEnd("for")
        loopDepth += 1
        let (body, endTag) = try parseBody(until: ["else", "endfor"], opener: ("for", line))
        loopDepth -= 1
        var otherwise: [JinjaNode] = []
        if endTag == "else" {
            try expectStatementEnd("else")
            otherwise = try parseBody(until: ["endfor"], opener: ("for", line)).nodes
        }
        try expectStatementEnd("endfor")
        return .forLoop(JinjaForLoop(
            targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line))
    }

    private mutating func parseSet(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let name = try expectName("after '{% set'")
        var target = JinjaAssignTarget.name(name)
        if skip(symbol: ".") {
            target = .attribute(object: name, attribute: try expectName("after '.' in '{% set'"))
        } else if current.isSymbol(",") {
            var names = [name]
            while skip(symbol: ",") { names.append(try expectName("in '{% set'")) }
            target = .names(names)
        }
        if skip(symbol: "=") {
            let value = try parseTuple()
            try expectStatementEnd("set")
            return .assign(target, value, line: line)
        }
        guard case .name = target, current.kind == .statementEnd else {
            throw .syntax(line: current.line, message: "expected '=' in '{% set', found \(current.display)")
        }
        advance()
        let body = try parseBody(until: ["endset"], opener: ("set", line)).nodes
        try expectStatementEnd("endset")
        return .assignBlock(name: name, body: body, line: line)
    }

    private mutating func parseMacro(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let name = try expectName("after '{% macro'")
        try expect(symbol: "(", context: "after the macro name")
        var parameters: [JinjaParameter] = []
        while !current.isSymbol(")") {
            let parameter = try expectName("as a macro parameter")
            let defaultValue = skip(symbol: "=") ? try parseExpression() : nil
            parameters.append(JinjaParameter(name: parameter, defaultValue: defaultValue))
            if !skip(symbol: ",") { break }
        }
        try expect(symbol: ")", context: "after the macro parameters")
        try expectStatementEnd("macro")
        let outerLoopDepth = loopDepth
        loopDepth = 0
        let body = try parseBody(until: ["endmacro"], opener: ("macro", line)).nodes
        loopDepth = outerLoopDepth
        _ = skip(name: name)
        try expectStatementEnd("endmacro")
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body, line: line))
    }

    private mutating func parseFilterBlock(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let filter = try parseFilterCall()
        try expectStatementEnd("filter")
        let body = try parseBody(until: ["endfilter"], opener: ("filter", line)).nodes
        try expectStatementEnd("endfilter")
        return .filterBlock(filter, body: body, line: line)
    }
}
