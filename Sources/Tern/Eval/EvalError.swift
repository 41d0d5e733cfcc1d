/// What can be wrong with an evaluation request.
public enum EvalError: Error, Equatable, CustomStringConvertible {
    case textTooShort(tokens: Int, needed: Int)
    case invalidContextSize(Int, trained: Int)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case let .textTooShort(tokens, needed):
            "the text is \(tokens) tokens; perplexity with this context size needs at least \(needed) (two chunks). Use a longer text or a smaller -c."
        case let .invalidContextSize(size, trained):
            "context size \(size) is out of range: use 4 to \(trained) (the model's trained context)."
        case let .cannotRead(path, reason):
            "cannot read '\(path)': \(reason). Check the path, or omit --text to use the bundled corpus."
        }
    }
}
