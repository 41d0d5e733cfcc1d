/// One measurement llama-bench also makes: prefilling a prompt, or decoding tokens one at a time.
public enum BenchmarkTest: Sendable, Equatable {
    /// A prefill of `tokens` random tokens from an empty cache, in micro-batches (`pp512`).
    case promptProcessing(tokens: Int)
    /// `tokens` single-token decode steps from an empty cache (`tg128`).
    case textGeneration(tokens: Int)
    /// `tokens` decode steps of `sequences` sequences together, one token each per step, from
    /// empty caches (`tg128@b16`): one matrix-matrix product per weight per step, as a serving
    /// engine decodes. Speed counts every sequence's tokens.
    case batchedGeneration(tokens: Int, sequences: Int)

    /// llama-bench's name for the test: `pp512`, `tg128`.
    public var name: String {
        switch self {
        case let .promptProcessing(n): "pp\(n)"
        case let .textGeneration(n): "tg\(n)"
        case let .batchedGeneration(n, b): "tg\(n)@b\(b)"
        }
    }

    /// Tokens each repetition processes.
    public var tokenCount: Int {
        switch self {
        case let .promptProcessing(n), let .textGeneration(n): n
        case let .batchedGeneration(n, b): n * b
        }
    }
}
