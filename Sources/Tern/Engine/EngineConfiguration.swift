/// How an engine sizes its cache and its steps.
public struct EngineConfiguration: Sendable, Equatable {
    /// Positions one sequence may use (prompt and completion); at most the model's trained context.
    public var contextLength: Int
    /// Positions the paged KV cache holds across all sequences.
    public var kvCacheTokens: Int
    /// Positions per KV block: the unit of allocation and of prefix sharing.
    public var blockSize: Int
    /// Most sequences one step computes.
    public var maxSequences: Int
    /// Most tokens one step computes (prefill chunks and decodes together).
    public var maxBatchedTokens: Int
    /// Most requests admitted and not yet finished; more are refused (HTTP 429).
    public var maxOutstanding: Int
    /// Threads for computation.
    public var threadCount: Int
    /// After every round, verify the scheduler's and block manager's accounting
    /// (`Scheduler.checkInvariants()`) and keep the first violation (`LLMEngine.invariantReport()`).
    /// Costs a walk over every block per step: for tests and debugging.
    public var checksInvariants: Bool

    public init(
        contextLength: Int, kvCacheTokens: Int? = nil, blockSize: Int = 16, maxSequences: Int = 16,
        maxBatchedTokens: Int = 512, maxOutstanding: Int = 256, threadCount: Int, checksInvariants: Bool = false
    ) {
        self.contextLength = contextLength
        self.kvCacheTokens = kvCacheTokens ?? contextLength
        self.blockSize = blockSize
        self.maxSequences = maxSequences
        self.maxBatchedTokens = maxBatchedTokens
        self.maxOutstanding = maxOutstanding
        self.threadCount = threadCount
        self.checksInvariants = checksInvariants
    }

    /// Blocks in the cache.
    public var blockCount: Int { max(1, (kvCacheTokens + blockSize - 1) / blockSize) }

    /// Bytes the KV cache takes for `config`.
    public func kvCacheBytes(config: ModelConfig) -> Int {
        KVCache.bytes(config: config, capacity: blockCount * blockSize)
    }

    /// The positions that `bytes` of KV cache hold for `config`.
    public static func tokens(inBytes bytes: Int, config: ModelConfig) -> Int {
        bytes / KVCache.bytes(config: config, capacity: 1)
    }

    /// Checks the sizes against each other.
    public func validated() throws(EngineConfigurationError) -> EngineConfiguration {
        guard contextLength >= 1 else { throw .invalid("the context length must be at least 1, got \(contextLength)") }
        guard blockSize >= 1 && blockSize <= 1024 else { throw .invalid("the KV block size must be 1...1024, got \(blockSize)") }
        guard blockCount * blockSize >= contextLength else {
            throw .invalid(
                "the KV cache holds \(blockCount * blockSize) tokens, fewer than one full context of \(contextLength); "
                    + "give it more memory (--kv-memory) or a shorter context (--ctx-size)")
        }
        guard maxSequences >= 1 else { throw .invalid("at least one sequence per step is needed, got \(maxSequences)") }
        guard maxBatchedTokens >= maxSequences else {
            throw .invalid("the step token budget (\(maxBatchedTokens)) must be at least the sequences per step (\(maxSequences))")
        }
        guard maxOutstanding >= 1 else { throw .invalid("the request queue must hold at least 1, got \(maxOutstanding)") }
        guard threadCount >= 1 else { throw .invalid("at least one thread is needed, got \(threadCount)") }
        return self
    }
}

/// An engine configuration whose sizes do not fit together.
public enum EngineConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case let .invalid(message): "invalid engine configuration: \(message)."
        }
    }
}
