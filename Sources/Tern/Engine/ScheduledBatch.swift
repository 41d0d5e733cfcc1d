/// The work of one engine step, as decided by `Scheduler.schedule()`: which token positions of
/// which sequences the model runner computes, and which sequences get a token sampled.
///
/// Decodes come first (one position each), then prefill chunks. The runner computes keys and
/// values for every entry's positions (writing them into the sequence's blocks) and, for
/// entries with `samplesToken`, samples one token from the logits of the last position.
public struct ScheduledBatch {
    /// One sequence's share of the step.
    public struct Entry {
        public let sequence: SequenceState
        /// Positions to compute: from `sequence.computedCount` up to at most `sequence.count`.
        /// The step's input tokens are `tokens`; keys and values of positions before
        /// `positions.lowerBound` are already in the sequence's blocks.
        public let positions: Range<Int>
        /// True when `positions` reaches the sequence's last token, so the logits of the last
        /// position yield the next token (a decode, or the final chunk of a prefill).
        public let samplesToken: Bool

        /// The input tokens at `positions`.
        public var tokens: ArraySlice<Int> { sequence.tokens[positions] }
    }

    public internal(set) var entries: [Entry] = []
    /// Sequences preempted while this step was scheduled: their blocks are freed and they are
    /// back at the front of the waiting queue, to be recomputed later.
    public internal(set) var preempted: [SequenceState] = []

    /// Tokens computed this step, across all entries; at most the scheduler's `maxBatchedTokens`.
    public var tokenCount: Int { entries.reduce(0) { $0 + $1.positions.count } }
    /// Entries that sample a token this step.
    public var samplingCount: Int { entries.count(where: \.samplesToken) }
    public var isEmpty: Bool { entries.isEmpty }

    mutating func append(_ sequence: SequenceState, positions: Range<Int>) {
        entries.append(Entry(sequence: sequence, positions: positions, samplesToken: positions.upperBound == sequence.count))
    }

    /// Takes `sequence` out of the step (it was preempted after being scheduled).
    /// - Returns: the tokens it had been given, to return to the budget.
    mutating func remove(_ sequence: SequenceState) -> Int {
        guard let index = entries.firstIndex(where: { $0.sequence === sequence }) else { return 0 }
        return entries.remove(at: index).positions.count
    }
}
