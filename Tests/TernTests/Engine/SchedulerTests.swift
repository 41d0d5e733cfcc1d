import Testing

@testable import Tern

@Suite("Scheduler")
struct SchedulerTests {
    private func makeScheduler(
        blocks: Int = 64, blockSize: Int = 4, maxBatchedTokens: Int = 16, maxSequences: Int = 4
    ) -> Scheduler {
        Scheduler(
            maxBatchedTokens: maxBatchedTokens, maxSequences: maxSequences,
            blockManager: BlockManager(blockCount: blocks, blockSize: blockSize))
    }

    private func summary(_ batch: ScheduledBatch) -> [(id: Int, positions: Range<Int>, samples: Bool)] {
        batch.entries.map { ($0.sequence.id, $0.positions, $0.samplesToken) }
    }

    @Test func respectsTheTokenBudgetAndMaxSequences() throws {
        let scheduler = makeScheduler(maxBatchedTokens: 8, maxSequences: 2)
        for id in 1...3 { scheduler.add(makeSequence(id, Array(repeating: id, count: 5))) }
        let batch = scheduler.schedule()
        #expect(batch.tokenCount == 8)
        #expect(batch.entries.map(\.sequence.id) == [1, 2])
        #expect(batch.entries.map(\.positions) == [0..<5, 0..<3])
        #expect(batch.entries.map(\.samplesToken) == [true, false])
        #expect(scheduler.running.count == 2 && scheduler.waiting.map(\.id) == [3])
        try scheduler.checkInvariants()
    }

    @Test func aLongPromptIsPrefilledInChunksAcrossSteps() throws {
        let scheduler = makeScheduler(maxBatchedTokens: 4)
        let seq = makeSequence(1, Array(1...10))
        scheduler.add(seq)
        var runner = ShadowRunner(blockCount: 64, blockSize: 4, seed: 1)
        var chunks: [Range<Int>] = []
        var sampling: [Bool] = []
        for _ in 0..<3 {
            let batch = step(scheduler, &runner)
            chunks += batch.entries.map(\.positions)
            sampling += batch.entries.map(\.samplesToken)
            try scheduler.checkInvariants()
        }
        #expect(chunks == [0..<4, 4..<8, 8..<10])
        #expect(sampling == [false, false, true])
        #expect(seq.count == 11 && seq.computedCount == 10 && seq.isDecoding)
    }

    @Test func decodesGetTheirTokenFirstAndPrefillsFillTheRest() throws {
        let scheduler = makeScheduler(maxBatchedTokens: 6)
        var runner = ShadowRunner(blockCount: 64, blockSize: 4, seed: 2)
        let early = makeSequence(1, [1, 2, 3])
        scheduler.add(early)
        step(scheduler, &runner)  // prefill: early now decodes
        scheduler.add(makeSequence(2, Array(10..<30)))
        let batch = step(scheduler, &runner)
        #expect(batch.entries.map(\.sequence.id) == [1, 2])
        #expect(batch.entries.map(\.positions) == [3..<4, 0..<5])
        try scheduler.checkInvariants()
    }

    @Test func runningPrefillsContinueBeforeNewAdmissions() throws {
        let scheduler = makeScheduler(maxBatchedTokens: 4)
        var runner = ShadowRunner(blockCount: 64, blockSize: 4, seed: 3)
        scheduler.add(makeSequence(1, Array(1...6)))
        step(scheduler, &runner)
        scheduler.add(makeSequence(2, Array(1...6).reversed()))
        let batch = step(scheduler, &runner)
        #expect(batch.entries.map(\.sequence.id) == [1, 2])
        #expect(batch.entries.map(\.positions) == [4..<6, 0..<2])
    }

    @Test func admitsFirstComeFirstServedWithoutOvertaking() throws {
        // 4 blocks of 4: the 20-token prompt cannot fit while the first one holds blocks, and the
        // small one behind it must wait too.
        let scheduler = makeScheduler(blocks: 4, maxBatchedTokens: 32)
        var runner = ShadowRunner(blockCount: 4, blockSize: 4, seed: 4)
        scheduler.add(makeSequence(1, Array(1...5), maxTokens: 3))
        scheduler.add(makeSequence(2, Array(1...14).map { $0 + 50 }, maxTokens: 2))
        scheduler.add(makeSequence(3, [7], maxTokens: 1))
        let first = step(scheduler, &runner)
        #expect(first.entries.map(\.sequence.id) == [1])
        #expect(scheduler.waiting.map(\.id) == [2, 3])
        while scheduler.hasUnfinishedSequences {
            step(scheduler, &runner)
            try scheduler.checkInvariants()
            if scheduler.running.contains(where: { $0.id == 3 }) {
                #expect(!scheduler.waiting.contains(where: { $0.id == 2 }), "sequence 3 overtook sequence 2")
            }
        }
        #expect(scheduler.blockManager.usedBlockCount == 0)
    }

    @Test func underBlockPressureTheNewestIsPreemptedAndRecomputedLater() throws {
        // 4 blocks of 2 positions; two sequences of 3 prompt tokens each need 2 blocks, then a
        // third block each as they decode: the newer one gives way.
        let scheduler = makeScheduler(blocks: 4, blockSize: 2, maxBatchedTokens: 8)
        var runner = ShadowRunner(blockCount: 4, blockSize: 2, seed: 5)
        let old = makeSequence(1, [1, 2, 3], maxTokens: 4)
        let new = makeSequence(2, [4, 5, 6], maxTokens: 4)
        scheduler.add(old)
        scheduler.add(new)
        step(scheduler, &runner)  // both prefilled, one token sampled each
        step(scheduler, &runner)  // both decode position 3 within their second block
        let pressured = step(scheduler, &runner)  // position 4 needs a third block each
        #expect(pressured.preempted.map(\.id) == [2])
        #expect(pressured.entries.map(\.sequence.id) == [1])
        #expect(new.status == .waiting && new.computedCount == 0 && new.blockTable.isEmpty)
        #expect(new.preemptionCount == 1 && scheduler.preemptionCount == 1)
        #expect(scheduler.waiting.first === new)
        #expect(new.generatedCount == 2, "generated tokens are kept, only their keys and values are dropped")
        try scheduler.checkInvariants()

        // Once the older one finishes, the newer one is recomputed from what the prefix cache
        // still holds: its first block [4, 5] (its second block was evicted to make room).
        var resumed: ScheduledBatch.Entry?
        while scheduler.hasUnfinishedSequences {
            let batch = step(scheduler, &runner)
            if resumed == nil { resumed = batch.entries.first { $0.sequence === new } }
            try scheduler.checkInvariants()
        }
        let recompute = try #require(resumed)
        #expect(recompute.positions == 2..<5 && recompute.samplesToken)
        #expect(new.isFinished && new.generatedCount == 4 && old.generatedCount == 4)
        #expect(scheduler.blockManager.usedBlockCount == 0)
    }

    @Test func aRecomputeAfterPreemptionUsesThePrefixCache() throws {
        let scheduler = makeScheduler(blocks: 16, blockSize: 2, maxBatchedTokens: 16)
        var runner = ShadowRunner(blockCount: 16, blockSize: 2, seed: 6)
        let seq = makeSequence(1, Array(1...9), maxTokens: 4)
        scheduler.add(seq)
        step(scheduler, &runner)
        // Preempt by hand through the same path the scheduler uses under pressure.
        var batch = ScheduledBatch()
        var budget = 0
        scheduler.preempt(seq, batch: &batch, budget: &budget)
        let again = scheduler.schedule()
        #expect(again.entries.map(\.positions) == [8..<10])
        #expect(seq.cachedPromptCount == 0, "the first admission's figure is kept")
        #expect(scheduler.blockManager.hitTokenCount == 8)
        try scheduler.checkInvariants()
    }

    @Test func abortFreesBlocksAtOnceWhetherRunningOrWaiting() throws {
        let scheduler = makeScheduler(blocks: 8, maxSequences: 1)
        var runner = ShadowRunner(blockCount: 8, blockSize: 4, seed: 7)
        scheduler.add(makeSequence(1, Array(1...10)))
        scheduler.add(makeSequence(2, Array(1...10)))
        step(scheduler, &runner)
        #expect(scheduler.blockManager.usedBlockCount == 3)
        let running = try #require(scheduler.abort(id: 1))
        #expect(running.status == .finished(.cancelled) && running.blockTable.isEmpty)
        #expect(scheduler.blockManager.usedBlockCount == 0)
        let waiting = try #require(scheduler.abort(id: 2))
        #expect(waiting.status == .finished(.cancelled))
        #expect(scheduler.abort(id: 3) == nil)
        #expect(!scheduler.hasUnfinishedSequences)
        try scheduler.checkInvariants()
    }

    @Test func updateSkipsSequencesFinishedSinceScheduling() throws {
        let scheduler = makeScheduler()
        let seq = makeSequence(1, [1, 2, 3])
        scheduler.add(seq)
        let batch = scheduler.schedule()
        scheduler.abort(id: 1)
        scheduler.update(after: batch, sampled: [1: 9])
        #expect(seq.count == 3 && seq.computedCount == 0)
        try scheduler.checkInvariants()
    }

    @Test func finishFreesBlocksAndSnapshotCountsEverything() throws {
        let scheduler = makeScheduler(blocks: 8, maxBatchedTokens: 32, maxSequences: 2)
        var runner = ShadowRunner(blockCount: 8, blockSize: 4, seed: 8)
        let a = makeSequence(1, Array(1...9))
        scheduler.add(a)
        scheduler.add(makeSequence(2, Array(1...9)))
        scheduler.add(makeSequence(3, [5]))
        step(scheduler, &runner)
        var snapshot = scheduler.snapshot()
        #expect(snapshot.runningSequences == 2 && snapshot.waitingSequences == 1)
        #expect(snapshot.kvBlocksUsed == 6 && snapshot.kvBlocksFree == 2 && snapshot.blockSize == 4)
        #expect(snapshot.prefixCacheQueriedTokens == 18 && snapshot.prefixCacheHitTokens == 0)
        scheduler.finish(a, reason: .endOfGeneration)
        #expect(a.status == .finished(.endOfGeneration))
        snapshot = scheduler.snapshot()
        #expect(snapshot.runningSequences == 1 && snapshot.kvBlocksUsed == 3)
        try scheduler.checkInvariants()
    }
}
