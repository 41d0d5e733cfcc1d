/// One request to the engine: a tokenized prompt and how to continue it.
public struct GenerationRequest: Sendable, Equatable {
    /// The prompt, already tokenized (chat template applied, BOS added as the model wants).
    public var promptTokens: [Int]
    public var params: SamplingParams
    /// Log-probabilities to report with each generated token: nil for none, 0 for the
    /// chosen token's only, k for the chosen token's plus the k most likely alternatives.
    public var topLogprobs: Int?

    public init(promptTokens: [Int], params: SamplingParams, topLogprobs: Int? = nil) {
        self.promptTokens = promptTokens
        self.params = params
        self.topLogprobs = topLogprobs
    }
}
