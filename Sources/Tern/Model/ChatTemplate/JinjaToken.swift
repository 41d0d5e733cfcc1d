/// One token of a Jinja template, as produced by `JinjaLexer`.
///
/// Text between tags arrives already trimmed by whitespace control (`{%-`, `-%}`, trim_blocks,
/// lstrip_blocks), so the parser never has to think about whitespace.
struct JinjaToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Literal template text, emitted as is.
        case text(String)
        /// `{%`
        case statementStart
        /// `%}`
        case statementEnd
        /// `{{`
        case expressionStart
        /// `}}`
        case expressionEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// Operators and punctuation: `+ - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |`
        case symbol(String)
        case endOfInput
    }

    var kind: Kind
    /// 1-based line of the token's first character in the template source.
    var line: Int

    /// How the token is named in syntax errors.
    var display: String {
        switch kind {
        case .text: "template text"
        case .statementStart: "'{%'"
        case .statementEnd: "'%}'"
        case .expressionStart: "'{{'"
        case .expressionEnd: "'}}'"
        case let .name(name): "'\(name)'"
        case let .string(value): "string '\(value)'"
        case let .integer(value): "number \(value)"
        case let .float(value): "number \(value)"
        case let .symbol(symbol): "'\(symbol)'"
        case .endOfInput: "end of template"
        }
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }
    func isName(_ name: String) -> Bool { kind == .name(name) }
}
