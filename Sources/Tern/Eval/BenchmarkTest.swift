/// One measurement llama-bench also makes: prefilling a prompt, or decoding tokens one at a time.
public enum BenchmarkTest: Sendable, Equatable {
    /// A prefill of `tokens` random tokens from an empty cache, in micro-batches (`pp512`).
    case promptProcessing(tokens: Int)
    /// `tokens` single-token decode steps from an empty cache (`tg128`).
    case textGeneration(tokens: Int)

    /// llama-bench's name for the test: `pp512`, `tg128`.
    public var name: String {
        switch self {
        case let .promptProcessing(n): "pp\(n)"
        case let .textGeneration(n): "tg\(n)"
        }
    }

    /// Tokens each repetition processes.
    public var tokenCount: Int {
        switch self {
        case let .promptProcessing(n), let .textGeneration(n): n
        }
    }
}
