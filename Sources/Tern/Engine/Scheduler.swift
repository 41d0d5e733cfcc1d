/// Continuous batching in vLLM v1's unified style: every step mixes decodes and prefill chunks
/// under one token budget, and sequences join and leave the running set between any two steps.
///
/// Each running sequence needs `uncomputedCount` tokens computed (1 while decoding). A step
/// 1. gives every running decode its token (oldest first);
/// 2. spends the rest of `maxBatchedTokens` on prefill chunks of running sequences (oldest first);
/// 3. admits waiting sequences first-come first-served, each with a first chunk (after its
///    prefix-cache hits), while the budget, `maxSequences` and free blocks allow; a sequence that
///    does not fit stops admission (no overtaking), and no one is admitted in a step that preempted.
///
/// When a running sequence needs a block and none is free, the newest running sequence is
/// preempted: its blocks are freed, `computedCount` drops to 0 and it goes back to the front of
/// the waiting queue, to be recomputed later (with help from the prefix cache). Older requests
/// thus always make progress.
///
/// The engine drives it: `add`, then per step `schedule()` → run the batch → `update(after:sampled:)`
/// → `finish(_:reason:)` for sequences that hit EOS, max tokens or a stop string; `abort(id:)`
/// between steps. The engine must keep each sequence within `blockManager.tokenCapacity`
/// (prompt + max tokens); a longer one could never be scheduled, and `schedule()` would return an
/// empty batch while `hasUnfinishedSequences` is true.
///
/// Not thread-safe: owned by the engine's thread.
public final class Scheduler {
    /// Token budget of one step (decodes plus prefill chunks).
    public let maxBatchedTokens: Int
    /// Most sequences running at once.
    public let maxSequences: Int
    public let blockManager: BlockManager
    /// Sequences without blocks, in admission order: oldest arrival first.
    public private(set) var waiting: [SequenceState] = []
    /// Sequences holding blocks (prefilling or decoding), oldest arrival first.
    public private(set) var running: [SequenceState] = []
    /// Preemptions since the start.
    public private(set) var preemptionCount = 0
    private var nextArrival = 0

    /// - Parameters:
    ///   - maxBatchedTokens: token budget per step; at least `maxSequences`, so that every running
    ///     sequence can always decode in the same step.
    ///   - maxSequences: most running sequences; at least 1.
    ///   - blockManager: the KV block accounting this scheduler allocates from.
    public init(maxBatchedTokens: Int, maxSequences: Int, blockManager: BlockManager) {
        precondition(maxSequences >= 1 && maxBatchedTokens >= maxSequences, "the budget must fit one decode per sequence")
        self.maxBatchedTokens = maxBatchedTokens
        self.maxSequences = maxSequences
        self.blockManager = blockManager
    }

    /// True while any sequence waits or runs.
    public var hasUnfinishedSequences: Bool { !waiting.isEmpty || !running.isEmpty }

    /// Queues a new sequence at the back of the waiting queue and stamps its arrival order.
    public func add(_ seq: SequenceState) {
        precondition(seq.status == .waiting && seq.arrivalOrder < 0, "a sequence is added once, before it runs")
        seq.arrivalOrder = nextArrival
        nextArrival += 1
        waiting.append(seq)
    }

    /// Decides the next step; see the type's description for the policy.
    /// - Returns: the batch to run; empty only when nothing can run (no sequences, or the front
    ///   waiting sequence needs more blocks than are free and nothing runs to free them).
    public func schedule() -> ScheduledBatch {
        var batch = ScheduledBatch()
        var budget = maxBatchedTokens

        // Iterating over copies: preemption removes sequences from `running` meanwhile.
        for seq in running where seq.status == .running && seq.isDecoding {
            guard reserve(seq, upTo: seq.count, batch: &batch, budget: &budget) else { continue }
            batch.append(seq, positions: seq.computedCount..<seq.count)
            budget -= 1
        }

        for seq in running where seq.status == .running && !seq.isDecoding {
            guard budget > 0 else { break }
            if blockManager.allocatableTokenCount(for: seq) <= seq.computedCount {
                // Not one more position fits: make room for at least one (or give way).
                guard reserve(seq, upTo: seq.computedCount + 1, batch: &batch, budget: &budget) else { continue }
            }
            let chunk = min(seq.uncomputedCount, budget, blockManager.allocatableTokenCount(for: seq) - seq.computedCount)
            blockManager.allocate(seq, upTo: seq.computedCount + chunk)
            batch.append(seq, positions: seq.computedCount..<seq.computedCount + chunk)
            budget -= chunk
        }

        guard batch.preempted.isEmpty else { return batch }  // blocks are short: admitting now would thrash
        while let seq = waiting.first, budget > 0, running.count < maxSequences {
            let cached = blockManager.cachedPrefixLength(of: seq)
            let chunk = min(seq.count - cached, budget)
            guard blockManager.allocate(seq, upTo: cached + chunk) else { break }
            waiting.removeFirst()
            seq.status = .running
            insertRunning(seq)
            batch.append(seq, positions: seq.computedCount..<seq.computedCount + chunk)
            budget -= chunk
        }
        return batch
    }

    /// Records a step's results: advances `computedCount` over the computed positions, commits
    /// newly full blocks to the prefix cache, and appends each sampled token. Entries whose
    /// sequence was finished or aborted since scheduling are skipped.
    /// - Parameter sampled: the sampled token per sequence id, for every entry with `samplesToken`.
    public func update(after batch: ScheduledBatch, sampled: [Int: Int]) {
        for entry in batch.entries {
            let seq = entry.sequence
            guard seq.status == .running, seq.computedCount == entry.positions.lowerBound else { continue }
            seq.computedCount = entry.positions.upperBound
            blockManager.commitFullBlocks(seq)
            if entry.samplesToken {
                guard let token = sampled[seq.id] else {
                    preconditionFailure("no sampled token for sequence \(seq.id)")  // the runner samples every such entry
                }
                seq.append(token)
            }
        }
    }

    /// Ends a waiting or running sequence (end of generation, max tokens, stop string, or
    /// cancellation), frees its blocks at once and marks it finished. Does nothing to a
    /// sequence that is already finished.
    public func finish(_ seq: SequenceState, reason: FinishReason) {
        guard !seq.isFinished else { return }
        if let index = running.firstIndex(where: { $0 === seq }) {
            running.remove(at: index)
        } else if let index = waiting.firstIndex(where: { $0 === seq }) {
            waiting.remove(at: index)
        }
        blockManager.free(seq)
        seq.status = .finished(reason)
    }

    /// Cancels the waiting or running sequence with `id` and frees its blocks at once.
    /// - Returns: the cancelled sequence, or nil when no live sequence has that id.
    @discardableResult
    public func abort(id: Int) -> SequenceState? {
        guard let seq = running.first(where: { $0.id == id }) ?? waiting.first(where: { $0.id == id }) else {
            return nil
        }
        finish(seq, reason: .cancelled)
        return seq
    }

    /// The scheduler's and block manager's counters (fields the engine does not own).
    public func snapshot() -> EngineSnapshot {
        var snapshot = EngineSnapshot()
        snapshot.runningSequences = running.count
        snapshot.waitingSequences = waiting.count
        snapshot.kvBlocksUsed = blockManager.usedBlockCount
        snapshot.kvBlocksFree = blockManager.freeBlockCount
        snapshot.blockSize = blockManager.blockSize
        snapshot.prefixCacheQueriedTokens = blockManager.queriedTokenCount
        snapshot.prefixCacheHitTokens = blockManager.hitTokenCount
        snapshot.preemptions = preemptionCount
        return snapshot
    }

    // MARK: Preemption

    /// Allocates blocks for `seq` up to `tokenCount`, preempting the newest running sequences
    /// until it fits.
    /// - Returns: false when `seq` itself was the newest and got preempted.
    private func reserve(
        _ seq: SequenceState, upTo tokenCount: Int, batch: inout ScheduledBatch, budget: inout Int
    ) -> Bool {
        while !blockManager.allocate(seq, upTo: tokenCount) {
            guard let victim = running.last else { return false }  // unreachable: `seq` itself runs
            preempt(victim, batch: &batch, budget: &budget)
            if victim === seq { return false }
        }
        return true
    }

    /// Frees `victim`'s blocks and puts it back at the front of the waiting queue, taking it out
    /// of `batch` (returning its tokens to `budget`) if it was scheduled already.
    func preempt(_ victim: SequenceState, batch: inout ScheduledBatch, budget: inout Int) {
        if let index = running.lastIndex(where: { $0 === victim }) { running.remove(at: index) }
        blockManager.free(victim)
        victim.status = .waiting
        victim.preemptionCount += 1
        preemptionCount += 1
        // Every running sequence arrived before every waiting one, so the front keeps FCFS order.
        waiting.insert(victim, at: 0)
        budget += batch.remove(victim)
        batch.preempted.append(victim)
    }

    private func insertRunning(_ seq: SequenceState) {
        let index = running.lastIndex(where: { $0.arrivalOrder < seq.arrivalOrder }).map { $0 + 1 } ?? 0
        running.insert(seq, at: index)
    }
}
