/// What a running request reports, in order: zero or more tokens, then one summary.
public enum GenerationEvent: Sendable {
    case token(GeneratedToken)
    case finished(GenerationSummary)
}

/// One sampled token and the text it completes.
public struct GeneratedToken: Sendable, Equatable {
    public var token: Int
    /// Text released by this token: may be empty (half a UTF-8 character, or text held
    /// back because it could be the start of a stop string) or hold text of earlier tokens.
    public var text: String
    /// Natural log of the token's probability under the model's distribution (before
    /// sampling filters), when the request asked for log-probabilities.
    public var logprob: Float?
    /// The most likely tokens at this step, most likely first, when asked for.
    public var topLogprobs: [TokenLogprob]

    public init(token: Int, text: String, logprob: Float? = nil, topLogprobs: [TokenLogprob] = []) {
        self.token = token
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// A token with its log-probability.
public struct TokenLogprob: Sendable, Equatable {
    public var token: Int
    public var logprob: Float

    public init(token: Int, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

/// How a request ended, with its token counts and timings.
public struct GenerationSummary: Sendable, Equatable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens whose keys and values came from the prefix cache.
    public var cachedPromptTokens: Int
    public var generatedTokens: Int
    /// From submission to the first generated token; nil when none was generated.
    public var timeToFirstToken: Duration?
    /// From the first generated token to the last.
    public var decodeTime: Duration

    public init(
        finishReason: FinishReason, promptTokens: Int, cachedPromptTokens: Int, generatedTokens: Int,
        timeToFirstToken: Duration?, decodeTime: Duration
    ) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.generatedTokens = generatedTokens
        self.timeToFirstToken = timeToFirstToken
        self.decodeTime = decodeTime
    }
}
