import Testing

@testable import Tern

@Suite("Scheduler soak")
struct SchedulerSoakTests {
    /// Thousands of steps of random traffic on a small cache: arrivals with shared prefixes (so
    /// the prefix cache hits and evicts), random end-of-generation, max tokens, and aborts of
    /// waiting and running sequences. After every step the accounting must hold and every
    /// sequence must read back its own keys and values; at the end every block is free.
    @Test(arguments: [
        (seed: UInt64(1), blockSize: 4, blocks: 24, maxBatchedTokens: 16, maxSequences: 6),
        (seed: UInt64(2), blockSize: 2, blocks: 40, maxBatchedTokens: 8, maxSequences: 8),
        (seed: UInt64(3), blockSize: 8, blocks: 10, maxBatchedTokens: 32, maxSequences: 4),
    ])
    func randomTrafficKeepsTheAccountingExact(
        seed: UInt64, blockSize: Int, blocks: Int, maxBatchedTokens: Int, maxSequences: Int
    ) throws {
        let manager = BlockManager(blockCount: blocks, blockSize: blockSize)
        let scheduler = Scheduler(maxBatchedTokens: maxBatchedTokens, maxSequences: maxSequences, blockManager: manager)
        var runner = ShadowRunner(blockCount: blocks, blockSize: blockSize, seed: seed &+ 100, vocabularySize: 32)
        var random = RandomGenerator(seed: seed)
        let endOfGeneration = 0
        // A few shared "system prompts" so that requests hit each other's blocks.
        let prefixes = (0..<3).map { _ in (0..<3 * blockSize).map { _ in Int.random(in: 1..<8, using: &random) } }
        let capacity = manager.tokenCapacity
        var nextID = 0
        var finished = 0
        var sawPreemption = false

        func arrive() {
            var prompt = prefixes[Int.random(in: 0..<prefixes.count, using: &random)]
            prompt = Array(prompt.prefix(Int.random(in: 0...prompt.count, using: &random)))
            prompt += (0..<Int.random(in: 1...2 * blockSize, using: &random)).map { _ in Int.random(in: 1..<8, using: &random) }
            // The engine's duty: prompt + max tokens within the cache.
            let maxTokens = Int.random(in: 1...min(24, capacity - prompt.count), using: &random)
            scheduler.add(makeSequence(nextID, prompt, maxTokens: maxTokens))
            nextID += 1
        }

        // Traffic for 1,600 rounds, then the queues drain.
        var round = 0
        while round < 1_000 || scheduler.hasUnfinishedSequences {
            try #require(round < 5_000, "the queues never drained")
            round += 1
            if round < 1_000 && Int.random(in: 0..<2, using: &random) == 0 { arrive() }
            if Int.random(in: 0..<40, using: &random) == 0, nextID > 0 {
                scheduler.abort(id: Int.random(in: max(0, nextID - 10)..<nextID, using: &random))
            }
            let batch = scheduler.schedule()
            #expect(batch.tokenCount <= maxBatchedTokens)
            #expect(batch.entries.count <= maxSequences)
            #expect(!batch.isEmpty || !scheduler.hasUnfinishedSequences, "stalled with work left at round \(round)")
            sawPreemption = sawPreemption || !batch.preempted.isEmpty
            let sampled = runner.run(batch)
            scheduler.update(after: batch, sampled: sampled)
            for entry in batch.entries where entry.samplesToken {
                let seq = entry.sequence
                if seq.lastToken == endOfGeneration {
                    scheduler.finish(seq, reason: .endOfGeneration)
                } else if seq.generatedCount >= seq.params.maxTokens {
                    scheduler.finish(seq, reason: .length)
                }
                if seq.isFinished { finished += 1 }
            }
            try scheduler.checkInvariants()
        }
        #expect(manager.usedBlockCount == 0 && manager.freeBlockCount == blocks)
        #expect(finished > 100, "too little traffic completed to mean anything: \(finished)")
        #expect(manager.hitTokenCount > 0, "the shared prefixes never hit")
        #expect(sawPreemption, "the cache was never under pressure")
    }
}
