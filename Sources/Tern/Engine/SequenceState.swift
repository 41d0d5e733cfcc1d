/// Where a sequence is in its life: queued, admitted to the running set, or done.
public enum SequenceStatus: Equatable, Sendable {
    /// Queued; holds no KV blocks and has nothing computed.
    case waiting
    /// Admitted: holds KV blocks; is prefilling (possibly in chunks) or decoding.
    case running
    /// Done; its blocks are back with the block manager.
    case finished(FinishReason)
}

/// One request as the engine tracks it: its tokens, how far their keys and values have been
/// computed, and where they live in the paged KV cache.
///
/// Owned and mutated only by the engine's thread, hence a class that is deliberately not
/// `Sendable`. The `Scheduler` and `BlockManager` update the bookkeeping fields; the engine
/// reads them and decides when a sequence finishes (`Scheduler.finish(_:reason:)`).
///
/// Token positions: `tokens[0..<promptCount]` is the prompt, the rest was generated.
/// `tokens[0..<computedCount]` have their keys and values in the blocks of `blockTable`
/// (position `p` lives in block `blockTable[p / blockSize]` at slot `p % blockSize`).
public final class SequenceState {
    /// The engine's identifier for the request; unique among live sequences.
    public let id: Int
    public let params: SamplingParams
    /// Prompt followed by generated tokens.
    public private(set) var tokens: [Int]
    public let promptCount: Int
    /// Leading tokens whose keys and values are in the cache (computed or found by prefix caching).
    public internal(set) var computedCount = 0
    /// Prompt tokens found in the prefix cache at first admission (not counting later recomputes
    /// after preemption): the `cachedPromptTokens` of the request's summary.
    public internal(set) var cachedPromptCount = 0
    /// KV block ids, one per `blockSize` positions, in position order.
    public internal(set) var blockTable: [Int] = []
    public internal(set) var status = SequenceStatus.waiting
    /// Order of submission to the scheduler (0, 1, 2, …); the larger, the newer. Set by `Scheduler.add`.
    public internal(set) var arrivalOrder = -1
    /// Times this sequence lost its blocks to make room for older ones and went back to waiting.
    public internal(set) var preemptionCount = 0
    /// Leading blocks of `blockTable` whose hash is registered with the block manager
    /// (full, computed, and immutable from then on). Managed by `BlockManager`.
    var committedBlockCount = 0

    /// - Parameters:
    ///   - id: the engine's identifier; unique among live sequences.
    ///   - prompt: the tokenized prompt; at least one token.
    ///   - params: how to sample; kept here for the model runner.
    public init(id: Int, prompt: [Int], params: SamplingParams) {
        precondition(!prompt.isEmpty, "a sequence needs at least one prompt token")  // the engine rejects empty prompts
        self.id = id
        self.tokens = prompt
        self.promptCount = prompt.count
        self.params = params
    }

    /// Prompt plus generated tokens.
    public var count: Int { tokens.count }
    /// Tokens generated so far.
    public var generatedCount: Int { tokens.count - promptCount }
    public var generatedTokens: ArraySlice<Int> { tokens[promptCount...] }
    public var lastToken: Int { tokens[tokens.count - 1] }
    /// Tokens whose keys and values still have to be computed: the rest of the prompt while
    /// prefilling, 1 while decoding.
    public var uncomputedCount: Int { tokens.count - computedCount }
    /// True when only the newest token is missing from the cache: the next step is a decode.
    public var isDecoding: Bool { uncomputedCount == 1 && computedCount >= promptCount }
    public var isFinished: Bool {
        if case .finished = status { true } else { false }
    }

    /// Appends a sampled token; its keys and values are computed by a later step.
    func append(_ token: Int) {
        tokens.append(token)
    }
}
