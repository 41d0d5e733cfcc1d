import Testing

@testable import Tern

@Suite("BlockManager")
struct BlockManagerTests {
    @Test func allocatesWholeBlocksToCoverPositionsAndGrowsOnDemand() throws {
        let manager = BlockManager(blockCount: 8, blockSize: 4)
        let seq = makeSequence(1, Array(1...10))
        #expect(manager.allocate(seq, upTo: 6))
        #expect(seq.blockTable == [0, 1])
        #expect(manager.allocate(seq, upTo: 10))
        #expect(seq.blockTable.count == 3)
        #expect(manager.usedBlockCount == 3 && manager.freeBlockCount == 5)
        try manager.checkInvariants(sequences: [seq])
    }

    @Test func allocationIsAllOrNothing() throws {
        let manager = BlockManager(blockCount: 2, blockSize: 4)
        let seq = makeSequence(1, Array(1...10))
        #expect(!manager.canAllocate(seq, upTo: 10))
        #expect(!manager.allocate(seq, upTo: 10))
        #expect(seq.blockTable.isEmpty && manager.freeBlockCount == 2 && manager.queriedTokenCount == 0)
        #expect(manager.allocatableTokenCount(for: seq) == 8)
        try manager.checkInvariants(sequences: [seq])
    }

    @Test func sequencesWithACommonPrefixShareRefCountedBlocks() throws {
        let manager = BlockManager(blockCount: 8, blockSize: 4)
        let first = makeSequence(1, Array(1...9))
        #expect(manager.allocate(first, upTo: 9))
        computeAll(first, in: manager)

        let second = makeSequence(2, Array(1...8) + [42, 43])
        #expect(manager.cachedPrefixLength(of: second) == 8)
        #expect(manager.allocate(second, upTo: 10))
        #expect(Array(second.blockTable.prefix(2)) == Array(first.blockTable.prefix(2)))
        #expect(second.blockTable[2] != first.blockTable[2])
        #expect(second.computedCount == 8 && second.cachedPromptCount == 8)
        #expect(manager.blocks[first.blockTable[0]].refCount == 2)
        #expect(manager.usedBlockCount == 4)
        #expect(manager.queriedTokenCount == 19 && manager.hitTokenCount == 8)
        try manager.checkInvariants(sequences: [first, second])

        manager.free(first)
        #expect(manager.blocks[second.blockTable[0]].refCount == 1)
        #expect(manager.usedBlockCount == 3)
        try manager.checkInvariants(sequences: [first, second])
        manager.free(second)
        #expect(manager.usedBlockCount == 0 && manager.freeBlockCount == 8)
        try manager.checkInvariants(sequences: [first, second])
    }

    @Test func freedBlocksKeepTheirContentsSoALaterRequestStillHits() throws {
        let manager = BlockManager(blockCount: 4, blockSize: 4)
        let first = makeSequence(1, Array(1...9))
        manager.allocate(first, upTo: 9)
        computeAll(first, in: manager)
        let cached = Array(first.blockTable.prefix(2))
        manager.free(first)
        #expect(manager.cachedFreeBlockCount == 2 && first.computedCount == 0)

        let later = makeSequence(2, Array(1...9))
        #expect(manager.allocate(later, upTo: 9))
        #expect(Array(later.blockTable.prefix(2)) == cached)
        #expect(later.computedCount == 8)
        #expect(manager.cachedFreeBlockCount == 0 && manager.usedBlockCount == 3)
        try manager.checkInvariants(sequences: [later])
    }

    @Test func blocksBecomeFindableOnlyWhenFullAndComputed() {
        let manager = BlockManager(blockCount: 8, blockSize: 4)
        let first = makeSequence(1, Array(1...9))
        manager.allocate(first, upTo: 9)
        let probe = makeSequence(2, Array(1...9))
        #expect(manager.cachedPrefixLength(of: probe) == 0)  // allocated, not computed
        first.computedCount = 7
        manager.commitFullBlocks(first)
        #expect(manager.cachedPrefixLength(of: probe) == 4)  // the second block is not full yet
        first.computedCount = 9
        manager.commitFullBlocks(first)
        #expect(manager.cachedPrefixLength(of: probe) == 8)
    }

    @Test func generatedTokensAreCachedToo() throws {
        // A chat's next turn sends the conversation so far, reply included.
        let manager = BlockManager(blockCount: 8, blockSize: 4)
        let first = makeSequence(1, [1, 2, 3])
        manager.allocate(first, upTo: 3)
        computeAll(first, in: manager)
        for token in [4, 5, 6] {
            first.append(token)
            manager.allocate(first, upTo: first.count)
            computeAll(first, in: manager)
        }
        let nextTurn = makeSequence(2, [1, 2, 3, 4, 5, 6, 7])
        #expect(manager.cachedPrefixLength(of: nextTurn) == 4)
        try manager.checkInvariants(sequences: [first])
    }

    /// With 8 cached tokens (two blocks of 4), a prompt of `length` tokens from the same prefix
    /// hits whole blocks only and always leaves its last token to compute.
    @Test(arguments: [(1, 0), (4, 0), (5, 4), (8, 4), (9, 8), (12, 8), (20, 8)])
    func hitsAreWholeBlocksAndLeaveTheLastTokenToCompute(length: Int, expectedHit: Int) throws {
        let manager = BlockManager(blockCount: 16, blockSize: 4)
        let first = makeSequence(1, Array(1...9))
        manager.allocate(first, upTo: 9)
        computeAll(first, in: manager)
        let prompt = Array((Array(1...8) + Array(100...120)).prefix(length))
        let seq = makeSequence(2, prompt)
        #expect(manager.cachedPrefixLength(of: seq) == expectedHit)
        #expect(manager.allocate(seq, upTo: seq.count))
        #expect(seq.computedCount == expectedHit && seq.computedCount < seq.count)
        try manager.checkInvariants(sequences: [first, seq])
    }

    @Test func aHashCollisionCostsAMissNeverAWrongHit() throws {
        // Every block hashes to 0: only the stored tokens and prefix tell blocks apart.
        let manager = BlockManager(blockCount: 16, blockSize: 4, hasher: { _, _ in 0 })
        let first = makeSequence(1, [1, 2, 3, 4, 5, 6, 7, 8, 0])
        manager.allocate(first, upTo: 9)
        computeAll(first, in: manager)
        #expect(manager.cachedPrefixLength(of: makeSequence(2, [1, 2, 3, 4, 5, 6, 7, 8, 0])) == 4)
        #expect(manager.cachedPrefixLength(of: makeSequence(3, [5, 6, 7, 8, 0])) == 0)
        #expect(manager.cachedPrefixLength(of: makeSequence(4, [1, 2, 3, 4, 9, 9, 9, 9, 0])) == 4)
        try manager.checkInvariants(sequences: [first])
    }

    @Test func aBlockWithTheSameTokensAfterAnotherPrefixIsNotAHit() throws {
        // The hash ignores the parent, so [2,2,2,2] at position 0 finds the block that holds
        // [2,2,2,2] at positions 4..<8 after [1,1,1,1]: its keys and values are not ours.
        let manager = BlockManager(blockCount: 16, blockSize: 4, hasher: { _, tokens in
            BlockManager.chainedHash(parentHash: 0, tokens: tokens)
        })
        let first = makeSequence(1, [1, 1, 1, 1, 2, 2, 2, 2, 0])
        manager.allocate(first, upTo: 9)
        computeAll(first, in: manager)
        #expect(manager.cachedPrefixLength(of: makeSequence(2, [2, 2, 2, 2, 2, 2, 2, 2, 0])) == 0)
        #expect(manager.cachedPrefixLength(of: makeSequence(3, [1, 1, 1, 1, 2, 2, 2, 2, 0])) == 8)
    }

    @Test func chainedHashIsDeterministicAndDependsOnParentAndOrder() {
        let hash = BlockManager.chainedHash
        #expect(hash(7, [1, 2, 3]) == hash(7, [1, 2, 3]))
        #expect(hash(7, [1, 2, 3]) != hash(8, [1, 2, 3]))
        #expect(hash(7, [1, 2, 3]) != hash(7, [3, 2, 1]))
        #expect(hash(7, [0]) != hash(7, [0, 0]))
        // Pinned: the value must not change between processes or releases.
        #expect(hash(BlockManager.rootHash, [1, 2, 3, 4]) == hash(0xCBF2_9CE4_8422_2325, [1, 2, 3, 4]))
    }

    @Test func emptyBlocksAreReusedBeforeCachedOnesAndCachedOnesLeastRecentlyFreedFirst() throws {
        let manager = BlockManager(blockCount: 6, blockSize: 2)
        // Three sequences of 3 tokens: one full (cached) block and one partial block each.
        let prompts = [[1, 2, 0], [3, 4, 0], [5, 6, 0]]
        let seqs = prompts.enumerated().map { makeSequence($0.offset, $0.element) }
        for seq in seqs {
            manager.allocate(seq, upTo: 3)
            computeAll(seq, in: manager)
        }
        for index in [0, 2, 1] { manager.free(seqs[index]) }  // freed: A, C, B
        #expect(manager.cachedFreeBlockCount == 3 && manager.freeBlockCount == 6)

        // Five blocks: the three empty ones, then evict A's and C's cached blocks (oldest first).
        let big = makeSequence(9, Array(100..<110))
        #expect(manager.allocate(big, upTo: 10))
        #expect(manager.cachedFreeBlockCount == 1)
        let hits = prompts.map { manager.cachedPrefixLength(of: makeSequence(10, $0)) }
        #expect(hits == [0, 2, 0])
        try manager.checkInvariants(sequences: [big])
    }

    @Test func aRevivedBlockBecomesMostRecentlyUsed() throws {
        let manager = BlockManager(blockCount: 3, blockSize: 2)
        let a = makeSequence(1, [1, 2, 0])
        let b = makeSequence(2, [3, 4, 0])
        for seq in [a, b] {
            manager.allocate(seq, upTo: 2)
            computeAll(seq, in: manager)
            manager.free(seq)
        }
        // A was freed first, but a hit revives it and frees it again after B.
        let again = makeSequence(3, [1, 2, 0])
        manager.allocate(again, upTo: 2)
        manager.free(again)
        let other = makeSequence(4, [7, 8, 9, 10, 0])
        manager.allocate(other, upTo: 4)  // one empty block + one eviction: B's
        #expect(manager.cachedPrefixLength(of: makeSequence(5, [1, 2, 0])) == 2)
        #expect(manager.cachedPrefixLength(of: makeSequence(6, [3, 4, 0])) == 0)
        try manager.checkInvariants(sequences: [other])
    }

    @Test func thePrefixComputedTwiceAtOnceStaysConsistent() throws {
        let manager = BlockManager(blockCount: 16, blockSize: 4)
        let twins = [makeSequence(1, Array(1...9)), makeSequence(2, Array(1...9))]
        for seq in twins { manager.allocate(seq, upTo: 9) }  // neither finds the other: nothing committed yet
        for seq in twins { computeAll(seq, in: manager) }
        #expect(Set(twins[0].blockTable).isDisjoint(with: twins[1].blockTable))
        let third = makeSequence(3, Array(1...9) + [5])
        manager.allocate(third, upTo: third.count)
        #expect(third.computedCount == 8)
        try manager.checkInvariants(sequences: twins + [third])
        for seq in twins + [third] { manager.free(seq) }
        #expect(manager.usedBlockCount == 0)
        try manager.checkInvariants(sequences: [])
    }

    @Test func checkInvariantsReportsBrokenAccounting() {
        let manager = BlockManager(blockCount: 4, blockSize: 2)
        let seq = makeSequence(1, [1, 2, 3])
        manager.allocate(seq, upTo: 3)
        computeAll(seq, in: manager)
        manager.blocks[seq.blockTable[0]].refCount += 1
        #expect(throws: InvariantViolation.self) { try manager.checkInvariants(sequences: [seq]) }
        manager.blocks[seq.blockTable[0]].refCount -= 1
        #expect(throws: Never.self) { try manager.checkInvariants(sequences: [seq]) }
        manager.blocks[seq.blockTable[0]].tokens[0] = 99
        #expect(throws: InvariantViolation.self) { try manager.checkInvariants(sequences: [seq]) }
    }
}
