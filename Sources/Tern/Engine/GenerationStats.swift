/// Why a generation ended.
public enum FinishReason: String, Sendable {
    case endOfGeneration = "stop"  // the model emitted an end-of-generation token
    case stopString = "stop_string"
    case length  // max tokens or the context is full
    case cancelled
}

/// Figures of one generation, for the summary line and benchmarks.
public struct GenerationStats: Sendable {
    public var promptTokens = 0
    /// Prompt tokens found already in the cache (chat turns reuse the conversation so far).
    public var cachedPromptTokens = 0
    public var prefillSeconds = 0.0
    public var generatedTokens = 0
    public var decodeSeconds = 0.0
    public var finishReason = FinishReason.length

    public var prefillTokensPerSecond: Double {
        prefillSeconds > 0 ? Double(promptTokens - cachedPromptTokens) / prefillSeconds : 0
    }
    public var decodeTokensPerSecond: Double {
        // The first generated token comes from the prefill's logits; the rest each cost one decode step.
        decodeSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / decodeSeconds : 0
    }
}

extension GenerationStats {
    /// The figures of an engine request's summary (prefill time is the time to first token).
    public init(_ summary: GenerationSummary) {
        self.init()
        promptTokens = summary.promptTokens
        cachedPromptTokens = summary.cachedPromptTokens
        prefillSeconds = summary.timeToFirstToken?.seconds ?? 0
        generatedTokens = summary.generatedTokens
        decodeSeconds = summary.decodeTime.seconds
        finishReason = summary.finishReason
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
