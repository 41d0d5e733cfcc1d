/// The parsed form of a template: statements (`JinjaNode`) holding expressions (`JinjaExpr`).
/// Immutable and `Sendable`, so a `ChatTemplate` is parsed once and rendered from any thread.

/// A statement or piece of output. `line` is where it starts, for error messages.
indirect enum JinjaNode: Sendable {
    case text(String)
    /// `{{ expr }}`
    case output(JinjaExpr, line: Int)
    /// `{% if %}{% elif %}...{% else %}{% endif %}`: the first branch whose condition holds runs.
    case conditional(branches: [JinjaBranch], otherwise: [JinjaNode], line: Int)
    case forLoop(JinjaForLoop)
    /// `{% set target = value %}`
    case assign(JinjaAssignTarget, JinjaExpr, line: Int)
    /// `{% set name %}body{% endset %}`: captures the body's output.
    case assignBlock(name: String, body: [JinjaNode], line: Int)
    /// `{% filter name(args) %}body{% endfilter %}`
    case filterBlock(JinjaFilterCall, body: [JinjaNode], line: Int)
    case macro(JinjaMacro)
    case loopBreak(line: Int)
    case loopContinue(line: Int)
}

struct JinjaBranch: Sendable {
    var condition: JinjaExpr
    var body: [JinjaNode]
}

/// `{% for targets in iterable if filter %}body{% else %}otherwise{% endfor %}`
struct JinjaForLoop: Sendable {
    /// One name, or several for tuple unpacking (`for key, value in d.items()`).
    var targets: [String]
    var iterable: JinjaExpr
    var filter: JinjaExpr?
    var body: [JinjaNode]
    /// Runs when the (filtered) iterable is empty.
    var otherwise: [JinjaNode]
    var line: Int
}

enum JinjaAssignTarget: Sendable {
    case name(String)
    case names([String])
    /// `ns.attribute`, only valid on a `namespace()` object.
    case attribute(object: String, attribute: String)
}

struct JinjaMacro: Sendable {
    var name: String
    var parameters: [JinjaParameter]
    var body: [JinjaNode]
    var line: Int
}

struct JinjaParameter: Sendable {
    var name: String
    var defaultValue: JinjaExpr?
}

struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [JinjaKeywordArgument] = []
}

struct JinjaKeywordArgument: Sendable {
    var name: String
    var value: JinjaExpr
}

struct JinjaFilterCall: Sendable {
    var name: String
    var arguments: JinjaArguments
}

enum JinjaBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
    case modulo = "%", power = "**", concat = "~"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case contains = "in", notContains = "not in"
}

indirect enum JinjaExpr: Sendable {
    case none
    case bool(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([JinjaDictEntry])
    case name(String)
    /// `object.name`
    case attribute(JinjaExpr, String)
    /// `object[key]`
    case item(JinjaExpr, JinjaExpr)
    /// `object[start:stop:step]`
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
    case call(JinjaExpr, JinjaArguments)
    /// `value | name(args)`
    case filter(JinjaExpr, JinjaFilterCall)
    /// `value is [not] name(args)`
    case test(JinjaExpr, name: String, JinjaArguments, negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    case binary(JinjaBinaryOperator, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    /// `then if condition else otherwise`; a missing else yields undefined.
    case conditional(condition: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

struct JinjaDictEntry: Sendable {
    var key: JinjaExpr
    var value: JinjaExpr
}
