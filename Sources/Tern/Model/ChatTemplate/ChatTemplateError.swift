/// What can go wrong while reading or rendering a chat template.
///
/// Every message says where (template line) and what to do; a model whose template Tern cannot
/// handle can still be used with the built-in ChatML template (`--chat-template chatml`).
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The template is not valid Jinja (unclosed tag, stray `endif`, bad expression, ...).
    case syntax(line: Int, message: String)
    /// The template is valid Jinja but uses a construct Tern's template engine does not implement.
    case unsupported(construct: String, line: Int)
    /// Evaluating the template failed (type error, undefined value, ...).
    case runtime(line: Int, message: String)
    /// The template itself called `raise_exception(message)`, usually to reject a conversation
    /// shape it cannot express (for example roles that do not alternate user/assistant).
    case raised(message: String)

    private static let fallbackAdvice = "Pass `--chat-template chatml` to use Tern's built-in ChatML template instead."

    public var description: String {
        switch self {
        case let .syntax(line, message):
            "chat template line \(line): \(message). The model's chat template is malformed. \(Self.fallbackAdvice)"
        case let .unsupported(construct, line):
            "chat template line \(line) uses \(construct), which Tern's template engine does not support. \(Self.fallbackAdvice)"
        case let .runtime(line, message):
            "chat template line \(line): \(message). \(Self.fallbackAdvice)"
        case let .raised(message):
            "the model's chat template rejected the conversation: \(message)"
        }
    }
}

/// A failure inside the interpreter before the failing statement's line is known.
///
/// Helpers deep in expression evaluation throw this; the statement that ran them fills in `line`
/// and `ChatTemplate` turns it into a public `ChatTemplateError`.
struct JinjaFailure: Error {
    enum Kind {
        case runtime
        case unsupported
        case raised
    }

    var kind: Kind
    var message: String
    var line: Int?

    static func runtime(_ message: String) -> JinjaFailure { JinjaFailure(kind: .runtime, message: message) }
    static func unsupported(_ construct: String) -> JinjaFailure { JinjaFailure(kind: .unsupported, message: construct) }
    static func raised(_ message: String) -> JinjaFailure { JinjaFailure(kind: .raised, message: message) }

    var publicError: ChatTemplateError {
        switch kind {
        case .runtime: .runtime(line: line ?? 0, message: message)
        case .unsupported: .unsupported(construct: message, line: line ?? 0)
        case .raised: .raised(message: message)
        }
    }
}
