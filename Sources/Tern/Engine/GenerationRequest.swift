/// One request to the engine: a tokenized prompt and how to continue it.
public struct GenerationRequest: Sendable, Equatable {
    /// The prompt, already tokenized (chat template applied, BOS added as the model wants).
    public var promptTokens: [Int]
    public var params: SamplingParams
    /// Log-probabilities to report with each generated token: nil for none, 0 for the
    /// chosen token's only, k for the chosen token's plus the k most likely alternatives.
    public var topLogprobs: Int?
    /// Keep generating past end-of-generation tokens, up to max tokens (for benchmarks, as
    /// llama.cpp's `ignore_eos`).
    public var ignoresEndOfGeneration: Bool

    public init(promptTokens: [Int], params: SamplingParams, topLogprobs: Int? = nil, ignoresEndOfGeneration: Bool = false) {
        self.promptTokens = promptTokens
        self.params = params
        self.topLogprobs = topLogprobs
        self.ignoresEndOfGeneration = ignoresEndOfGeneration
    }
}
