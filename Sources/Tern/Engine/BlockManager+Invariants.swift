extension BlockManager {
    /// Verifies the whole accounting against the sequences that hold blocks.
    ///
    /// Checks that: every block is either used (reference count > 0) or in exactly one free
    /// structure, and the counts add up to `blockCount`; each reference count equals the number
    /// of block-table entries naming the block; empty free blocks hold nothing cached and cached
    /// free blocks hold a committed prefix; the LRU list's links are consistent; every hash-map
    /// entry names a committed block whose stored tokens and parent hash reproduce the hash;
    /// equal content ids mean equal prefixes; and for each sequence, its committed blocks are
    /// committed in the manager with its own tokens and chain, its other blocks are private and
    /// uncommitted, and its blocks cover `computedCount` and no more than its tokens.
    /// - Parameter sequences: every sequence holding blocks (others may be included).
    /// - Throws: the first violation found, naming the block or sequence and the values.
    public func checkInvariants(sequences: [SequenceState]) throws(InvariantViolation) {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
            if !ok { throw InvariantViolation(message()) }
        }
        var references = Array(repeating: 0, count: blockCount)
        for seq in sequences {
            for block in seq.blockTable {
                try check(block >= 0 && block < blockCount, "sequence \(seq.id) names block \(block) of \(blockCount)")
                references[block] += 1
            }
        }

        // Free structures partition the unused blocks.
        guard let lru = cachedFreeBlocks.walk() else {
            throw InvariantViolation("the LRU list of cached free blocks has inconsistent links")
        }
        var isFree = Array(repeating: false, count: blockCount)
        for block in emptyBlocks + lru {
            try check(!isFree[block], "block \(block) is in the free structures twice")
            isFree[block] = true
        }
        for block in emptyBlocks {
            try check(
                blocks[block].hash == nil && blocks[block].tokens.isEmpty, "empty free block \(block) holds a cached prefix")
        }
        for block in lru {
            try check(blocks[block].hash != nil, "cached free block \(block) has no hash")
        }
        var used = 0
        for block in 0..<blockCount {
            let count = blocks[block].refCount
            try check(
                count == references[block],
                "block \(block) has reference count \(count) but \(references[block]) block tables hold it")
            try check(count > 0 || isFree[block], "block \(block) is neither used nor free")
            try check(count == 0 || !isFree[block], "block \(block) is free but referenced \(count) times")
            if count > 0 { used += 1 }
        }
        try check(used == usedBlockCount, "\(used) blocks are referenced but usedBlockCount is \(usedBlockCount)")
        try check(
            usedBlockCount + freeBlockCount == blockCount,
            "used \(usedBlockCount) + free \(freeBlockCount) ≠ \(blockCount) blocks")

        try checkCommittedBlocks()
        for seq in sequences { try checkTable(of: seq) }
        try check(hitTokenCount <= queriedTokenCount, "prefix hits \(hitTokenCount) exceed queries \(queriedTokenCount)")
    }

    private func checkCommittedBlocks() throws(InvariantViolation) {
        for (hash, block) in blockByHash {
            guard blocks[block].hash == hash else {
                let actual = blocks[block].hash.map(String.init) ?? "none"
                throw InvariantViolation("hash map sends \(hash) to block \(block), whose hash is \(actual)")
            }
        }
        var prefixByContent: [UInt64: (parent: UInt64, tokens: [Int])] = [:]
        for (index, block) in blocks.enumerated() {
            guard let hash = block.hash else { continue }
            guard block.tokens.count == blockSize, block.contentID != 0 else {
                throw InvariantViolation("committed block \(index) holds \(block.tokens.count) tokens or has no content id")
            }
            guard hashBlock(block.parentHash, block.tokens[...]) == hash else {
                throw InvariantViolation("committed block \(index): its tokens and parent hash do not give its hash \(hash)")
            }
            if let other = prefixByContent[block.contentID] {
                guard other.parent == block.parentContentID, other.tokens == block.tokens else {
                    throw InvariantViolation(
                        "content id \(block.contentID) names two different prefixes (one in block \(index))")
                }
            }
            prefixByContent[block.contentID] = (block.parentContentID, block.tokens)
        }
    }

    private func checkTable(of seq: SequenceState) throws(InvariantViolation) {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
            if !ok { throw InvariantViolation("sequence \(seq.id): " + message()) }
        }
        let table = seq.blockTable
        try check(table.count <= blocksNeeded(for: seq.count), "\(table.count) blocks for \(seq.count) tokens")
        try check(seq.computedCount <= table.count * blockSize, "\(seq.computedCount) computed tokens but \(table.count) blocks")
        try check(
            seq.committedBlockCount <= seq.computedCount / blockSize,
            "\(seq.committedBlockCount) committed blocks but \(seq.computedCount) computed tokens")
        for (index, block) in table.enumerated() {
            let info = blocks[block]
            if index < seq.committedBlockCount {
                let tokens = seq.tokens[index * blockSize..<(index + 1) * blockSize]
                try check(
                    info.hash != nil && info.tokens.elementsEqual(tokens),
                    "committed block \(block) (#\(index)) holds other tokens")
                let parentContentID = index == 0 ? 0 : blocks[table[index - 1]].contentID
                try check(info.parentContentID == parentContentID, "committed block \(block) (#\(index)) follows another prefix")
            } else {
                try check(info.hash == nil, "uncommitted block \(block) (#\(index)) has a hash")
                try check(info.refCount == 1, "uncommitted block \(block) (#\(index)) is shared \(info.refCount) times")
            }
        }
    }
}
