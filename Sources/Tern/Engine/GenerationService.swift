/// What a front end (the HTTP server, the CLI) needs from a running engine. `LLMEngine`
/// is the real one; tests of a front end can supply their own.
public protocol GenerationService: Sendable {
    /// The name clients use for the model (`GET /v1/models`).
    var modelName: String { get }
    /// Positions one sequence may use: prompt plus generated tokens.
    var contextLength: Int { get }
    var tokenizer: Tokenizer { get }
    /// The template that turns chat messages into a prompt.
    var chatTemplate: ChatTemplate { get }

    /// Starts `request`. Events arrive on the returned stream; when the consumer stops
    /// listening (the stream terminates early), the request is aborted and its KV blocks
    /// are freed at once.
    /// - Throws: `GenerationError` when the request cannot start (prompt too long, queue full,
    ///   parameters out of range); nothing is queued then.
    func submit(_ request: GenerationRequest) throws(GenerationError) -> AsyncStream<GenerationEvent>

    /// A consistent snapshot of the engine's counters, for metrics and health.
    func snapshot() -> EngineSnapshot
}

/// Why a request could not start.
public enum GenerationError: Error, Equatable, CustomStringConvertible {
    case emptyPrompt
    case promptTooLong(tokens: Int, contextLength: Int)
    case queueFull(waiting: Int)
    case invalidParameters(SamplingError)
    case invalidToken(vocabularySize: Int)
    case invalidLogprobs(Int)
    case shuttingDown

    public var description: String {
        switch self {
        case .emptyPrompt: "the prompt is empty; send at least one token of text."
        case let .promptTooLong(tokens, contextLength):
            "the prompt has \(tokens) tokens but the context holds \(contextLength) (prompt and completion together); shorten the prompt."
        case let .queueFull(waiting): "the server is busy (\(waiting) requests waiting); retry shortly."
        case let .invalidParameters(error): error.description
        case let .invalidToken(vocabularySize):
            "the prompt has a token id outside the vocabulary (0..<\(vocabularySize)); send text or valid token ids."
        case let .invalidLogprobs(k): "top_logprobs is \(k) but must be between 0 and 20."
        case .shuttingDown: "the server is shutting down and takes no new requests."
        }
    }
}

/// Counters of a running engine at one instant.
public struct EngineSnapshot: Sendable, Equatable {
    public var runningSequences = 0
    public var waitingSequences = 0
    public var kvBlocksUsed = 0
    public var kvBlocksFree = 0
    public var blockSize = 0
    /// Prompt tokens looked up in the prefix cache, and how many were found.
    public var prefixCacheQueriedTokens = 0
    public var prefixCacheHitTokens = 0
    public var preemptions = 0

    public init() {}
}
