/// Splits a Jinja template into tokens, applying whitespace control the way Hugging Face
/// transformers configures Jinja for chat templates: `trim_blocks` and `lstrip_blocks` on,
/// `keep_trailing_newline` off, plus the explicit `{%-`, `-%}`, `{{-`, `-}}`, `{#-`, `-#}` markers
/// (and `+` to opt out of trimming).
///
/// Works on UTF-8 bytes: every delimiter is ASCII, and text and string literals are copied through
/// byte for byte.
struct JinjaLexer {
    private let bytes: [UInt8]
    private var pos = 0
    private var line = 1
    private var tokens: [JinjaToken] = []

    static func tokenize(_ source: String) throws(ChatTemplateError) -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        // Jinja normalises newlines before lexing and drops one trailing newline.
        var normalized = source.replacingAll("\r\n", with: "\n").replacingAll("\r", with: "\n")
        if normalized.hasSuffix("\n") { normalized.removeLast() }
        bytes = Array(normalized.utf8)
    }

    private mutating func run() throws(ChatTemplateError) {
        while pos < bytes.count {
            let textStart = pos
            let textLine = line
            guard let tagStart = nextTagStart(from: pos) else {
                emitText(textStart..<bytes.count, line: textLine)
                advance(to: bytes.count)
                break
            }
            let opener = bytes[tagStart + 1]
            var inner = tagStart + 2
            var sign: UInt8?
            if inner < bytes.count, bytes[inner] == .minus || bytes[inner] == .plus {
                sign = bytes[inner]
                inner += 1
            }
            let textEnd = strippedTextEnd(textStart: textStart, tagStart: tagStart, opener: opener, sign: sign)
            emitText(textStart..<textEnd, line: textLine)
            advance(to: tagStart)
            let tagLine = line
            advance(to: inner)
            if opener == .hash {
                try skipComment(line: tagLine)
            } else {
                try lexTag(isStatement: opener == .percent, line: tagLine)
            }
        }
        tokens.append(JinjaToken(kind: .endOfInput, line: line))
    }

    /// Index of the next `{{`, `{%` or `{#`, if any.
    private func nextTagStart(from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == .openBrace {
                let next = bytes[index + 1]
                if next == .openBrace || next == .percent || next == .hash { return index }
            }
            index += 1
        }
        return nil
    }

    /// Where the text before a tag ends once `{%-` or lstrip_blocks has removed trailing whitespace.
    private func strippedTextEnd(textStart: Int, tagStart: Int, opener: UInt8, sign: UInt8?) -> Int {
        var end = tagStart
        if sign == .minus {
            while end > textStart, bytes[end - 1].isJinjaWhitespace { end -= 1 }
            return end
        }
        // lstrip_blocks: a block or comment tag preceded on its line only by spaces and tabs
        // takes that indentation with it. Never applies to `{{`.
        guard sign != .plus, opener != .openBrace else { return end }
        var lineStart = end
        while lineStart > textStart, bytes[lineStart - 1] != .newline { lineStart -= 1 }
        let startsLine = lineStart > textStart || textStart == 0 || bytes[textStart - 1] == .newline
        guard startsLine, lineStart < end else { return end }
        for index in lineStart..<end where !bytes[index].isJinjaWhitespace { return end }
        return lineStart
    }

    private mutating func skipComment(line tagLine: Int) throws(ChatTemplateError) {
        var index = pos
        while index + 1 < bytes.count, !(bytes[index] == .hash && bytes[index + 1] == .closeBrace) { index += 1 }
        guard index + 1 < bytes.count else {
            throw .syntax(line: tagLine, message: "comment '{#' is never closed with '#}'")
        }
        let marker: UInt8? = index > pos ? bytes[index - 1] : nil
        advance(to: index + 2)
        finishTag(marker: marker, isBlockOrComment: true)
    }

    /// Whitespace control after a closing delimiter: `-` eats all following whitespace,
    /// trim_blocks eats one newline after a block or comment unless the tag ends with `+`.
    private mutating func finishTag(marker: UInt8?, isBlockOrComment: Bool) {
        if marker == .minus {
            var index = pos
            while index < bytes.count, bytes[index].isJinjaWhitespace { index += 1 }
            advance(to: index)
        } else if isBlockOrComment, marker != .plus, pos < bytes.count, bytes[pos] == .newline {
            advance(to: pos + 1)
        }
    }

    private mutating func lexTag(isStatement: Bool, line tagLine: Int) throws(ChatTemplateError) {
        tokens.append(JinjaToken(kind: isStatement ? .statementStart : .expressionStart, line: tagLine))
        var depth = 0
        while true {
            skipWhitespace()
            guard pos < bytes.count else {
                let opener = isStatement ? "{%" : "{{"
                throw .syntax(line: tagLine, message: "tag '\(opener)' is never closed")
            }
            if depth == 0, let closer = closer(isStatement: isStatement) {
                tokens.append(JinjaToken(kind: isStatement ? .statementEnd : .expressionEnd, line: line))
                advance(to: pos + closer.length)
                finishTag(marker: closer.marker, isBlockOrComment: isStatement)
                return
            }
            let token = try lexExpressionToken()
            if case let .symbol(symbol) = token.kind {
                if symbol == "(" || symbol == "[" || symbol == "{" { depth += 1 }
                if symbol == ")" || symbol == "]" || symbol == "}" { depth = max(0, depth - 1) }
            }
            tokens.append(token)
        }
    }

    /// The closing delimiter starting at `pos`, if any, with its `-` or `+` marker.
    private func closer(isStatement: Bool) -> (length: Int, marker: UInt8?)? {
        let closer: (UInt8, UInt8) = isStatement ? (.percent, .closeBrace) : (.closeBrace, .closeBrace)
        func closes(at index: Int) -> Bool {
            index + 1 < bytes.count && bytes[index] == closer.0 && bytes[index + 1] == closer.1
        }
        if closes(at: pos) { return (2, nil) }
        let first = bytes[pos]
        if first == .minus || (first == .plus && isStatement), closes(at: pos + 1) { return (3, first) }
        return nil
    }

    private mutating func skipWhitespace() {
        var index = pos
        while index < bytes.count, bytes[index].isJinjaWhitespace { index += 1 }
        advance(to: index)
    }

    private mutating func lexExpressionToken() throws(ChatTemplateError) -> JinjaToken {
        let start = pos
        let startLine = line
        let byte = bytes[start]
        if byte.isIdentifierStart {
            var index = start + 1
            while index < bytes.count, bytes[index].isIdentifierContinuation { index += 1 }
            advance(to: index)
            return JinjaToken(kind: .name(string(start..<index)), line: startLine)
        }
        if byte.isDigit { return try lexNumber(line: startLine) }
        if byte == .singleQuote || byte == .doubleQuote { return try lexString(quote: byte, line: startLine) }
        for symbol in Self.symbols where matches(symbol, at: start) {
            advance(to: start + symbol.utf8.count)
            return JinjaToken(kind: .symbol(symbol), line: startLine)
        }
        let character = String(decoding: [byte], as: UTF8.self)
        throw .syntax(line: startLine, message: "unexpected character '\(character)' inside a tag")
    }

    /// Longest first, so `//` wins over `/`.
    private static let symbols = [
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|",
    ]

    private func matches(_ symbol: String, at index: Int) -> Bool {
        var cursor = index
        for byte in symbol.utf8 {
            guard cursor < bytes.count, bytes[cursor] == byte else { return false }
            cursor += 1
        }
        return true
    }

    private mutating func lexNumber(line startLine: Int) throws(ChatTemplateError) -> JinjaToken {
        let start = pos
        var index = start
        var isFloat = false
        func skipDigits() { while index < bytes.count, bytes[index].isDigit || bytes[index] == .underscore { index += 1 } }
        skipDigits()
        if index + 1 < bytes.count, bytes[index] == .dot, bytes[index + 1].isDigit {
            isFloat = true
            index += 1
            skipDigits()
        }
        if index < bytes.count, bytes[index] == .lowerE || bytes[index] == .upperE {
            var exponent = index + 1
            if exponent < bytes.count, bytes[exponent] == .plus || bytes[exponent] == .minus { exponent += 1 }
            if exponent < bytes.count, bytes[exponent].isDigit {
                isFloat = true
                index = exponent
                skipDigits()
            }
        }
        advance(to: index)
        let text = string(start..<index).replacingAll("_", with: "")
        if isFloat, let value = Double(text) { return JinjaToken(kind: .float(value), line: startLine) }
        if !isFloat, let value = Int(text) { return JinjaToken(kind: .integer(value), line: startLine) }
        throw .syntax(line: startLine, message: "number '\(text)' is malformed or too large")
    }

    private mutating func lexString(quote: UInt8, line startLine: Int) throws(ChatTemplateError) -> JinjaToken {
        var index = pos + 1
        while index < bytes.count, bytes[index] != quote {
            index += bytes[index] == .backslash ? 2 : 1
        }
        guard index < bytes.count else {
            throw .syntax(line: startLine, message: "string literal is never closed")
        }
        let value = JinjaStringEscapes.unescape(bytes[(pos + 1)..<index])
        advance(to: index + 1)
        return JinjaToken(kind: .string(value), line: startLine)
    }

    private mutating func emitText(_ range: Range<Int>, line textLine: Int) {
        guard !range.isEmpty else { return }
        tokens.append(JinjaToken(kind: .text(string(range)), line: textLine))
    }

    /// Moves `pos` forward, counting the newlines passed over so tokens know their line.
    private mutating func advance(to newPosition: Int) {
        let end = min(newPosition, bytes.count)
        while pos < end {
            if bytes[pos] == .newline { line += 1 }
            pos += 1
        }
        pos = max(pos, newPosition)
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}

extension UInt8 {
    static let newline = UInt8(ascii: "\n")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let percent = UInt8(ascii: "%")
    static let hash = UInt8(ascii: "#")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let underscore = UInt8(ascii: "_")
    static let backslash = UInt8(ascii: "\\")
    static let singleQuote = UInt8(ascii: "'")
    static let doubleQuote = UInt8(ascii: "\"")
    static let lowerE = UInt8(ascii: "e")
    static let upperE = UInt8(ascii: "E")

    /// Python's `str.isspace` for ASCII, which is what Jinja's `\s` matches here.
    var isJinjaWhitespace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isIdentifierStart: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A || self == .underscore }
    var isIdentifierContinuation: Bool { isIdentifierStart || isDigit }
}

extension String {
    /// Literal (non-regex) replacement of every occurrence, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
