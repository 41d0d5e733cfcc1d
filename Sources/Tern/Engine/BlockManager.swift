/// Accounts for the paged KV cache: which block ids each sequence holds, which are free, and
/// which hold a cached prefix that a new sequence can share. Only integers move here; the
/// keys and values themselves live in the KV storage, indexed by the same block ids.
///
/// Prefix caching: once a block is full and its keys and values are computed, it is
/// *committed*: identified by a hash chained over the previous block's hash and the block's
/// tokens (`chainedHash`). A later sequence whose prompt starts with the same tokens reuses the
/// committed blocks instead of recomputing them; a hit is confirmed by comparing the stored
/// tokens and the identity of the whole preceding prefix, so a hash collision can cost a miss
/// but never a wrong hit. Shared blocks are reference-counted. A freed committed block keeps its
/// contents and stays findable until it is reused; reuse takes blocks without cached contents
/// first, then evicts the least recently freed cached block.
///
/// Not thread-safe: owned by the engine's thread, like the sequences it serves.
public final class BlockManager {
    /// Bookkeeping of one block.
    struct Block {
        /// Block tables holding this block; 0 when free.
        var refCount = 0
        /// The chained hash, set when the block is committed; kept while the block is free
        /// with cached contents, cleared when it is reused.
        var hash: UInt64? = nil
        /// The previous block's hash in the chain, `rootHash` for a sequence's first block.
        var parentHash: UInt64 = 0
        /// Identity of the whole token prefix ending with this block: two committed blocks have
        /// the same `contentID` exactly when their prefixes are equal. 0 = none.
        var contentID: UInt64 = 0
        /// `contentID` of the previous block, 0 for a sequence's first block.
        var parentContentID: UInt64 = 0
        /// The block's tokens once committed (`blockSize` of them), for confirming hits.
        var tokens: [Int] = []
    }

    /// Computes a block's chained hash from its parent's hash and its tokens.
    typealias BlockHasher = (_ parentHash: UInt64, _ tokens: ArraySlice<Int>) -> UInt64

    public let blockCount: Int
    /// Token positions per block.
    public let blockSize: Int
    var blocks: [Block]
    /// Free blocks with nothing cached, reused first (a stack: the order does not matter).
    var emptyBlocks: [Int]
    /// Free blocks that still hold a committed prefix, least recently freed first.
    var cachedFreeBlocks: BlockLRUList
    /// Committed blocks findable by hash. A duplicate of a registered prefix (two sequences that
    /// computed the same prompt at once) or a colliding hash stays unregistered.
    var blockByHash: [UInt64: Int] = [:]
    let hashBlock: BlockHasher
    private var nextContentID: UInt64 = 1

    /// Blocks held by at least one sequence.
    public private(set) var usedBlockCount = 0
    /// Tokens looked up in the prefix cache at admissions, and how many were found.
    public private(set) var queriedTokenCount = 0
    public private(set) var hitTokenCount = 0

    /// - Parameters:
    ///   - blockCount: blocks in the KV storage; at least 1.
    ///   - blockSize: token positions per block; at least 1.
    public convenience init(blockCount: Int, blockSize: Int) {
        self.init(blockCount: blockCount, blockSize: blockSize, hasher: BlockManager.chainedHash)
    }

    /// Tests pass a deliberately weak `hasher` to prove that collisions never cause a wrong hit.
    init(blockCount: Int, blockSize: Int, hasher: @escaping BlockHasher) {
        precondition(blockCount >= 1 && blockSize >= 1, "the KV cache needs at least one block of one position")
        self.blockCount = blockCount
        self.blockSize = blockSize
        blocks = Array(repeating: Block(), count: blockCount)
        emptyBlocks = Array((0..<blockCount).reversed())  // block 0 is handed out first
        cachedFreeBlocks = BlockLRUList(capacity: blockCount)
        hashBlock = hasher
    }

    /// Blocks held by no sequence, with or without cached contents.
    public var freeBlockCount: Int { emptyBlocks.count + cachedFreeBlocks.count }
    /// Free blocks that still hold a reusable prefix.
    public var cachedFreeBlockCount: Int { cachedFreeBlocks.count }
    /// Token positions in the whole cache. The engine must keep every sequence within this
    /// (prompt + max tokens ≤ `tokenCapacity`), or a lone sequence could run out of blocks.
    public var tokenCapacity: Int { blockCount * blockSize }

    /// Blocks that hold positions `0..<tokenCount`.
    public func blocksNeeded(for tokenCount: Int) -> Int { (tokenCount + blockSize - 1) / blockSize }

    // MARK: Prefix lookup

    /// Tokens of `seq` that admission would find in the prefix cache: whole committed blocks
    /// only, and never the last token (its logits must be computed). Changes nothing.
    public func cachedPrefixLength(of seq: SequenceState) -> Int {
        isFirstAllocation(seq) ? cachedPrefixBlocks(of: seq).count * blockSize : 0
    }

    /// The blocks holding the longest cached prefix of `seq.tokens`, at most `(count - 1) / blockSize` of them.
    func cachedPrefixBlocks(of seq: SequenceState) -> [Int] {
        var found: [Int] = []
        var parentHash = Self.rootHash
        var parentContentID: UInt64 = 0
        for index in 0..<(seq.count - 1) / blockSize {
            let tokens = seq.tokens[index * blockSize..<(index + 1) * blockSize]
            let hash = hashBlock(parentHash, tokens)
            guard let block = blockByHash[hash], blocks[block].parentContentID == parentContentID,
                blocks[block].tokens.elementsEqual(tokens)
            else { break }
            found.append(block)
            parentHash = hash
            parentContentID = blocks[block].contentID
        }
        return found
    }

    private func isFirstAllocation(_ seq: SequenceState) -> Bool {
        seq.blockTable.isEmpty && seq.computedCount == 0
    }

    // MARK: Allocation

    /// What `allocate(_:upTo:)` would do: the prefix hits to take and the fresh blocks to add.
    private func plan(_ seq: SequenceState, upTo tokenCount: Int) -> (hits: [Int], newBlocks: Int, fits: Bool) {
        precondition(tokenCount <= seq.count, "blocks are allocated only for positions that have a token")  // programmer error
        let hits = isFirstAllocation(seq) ? cachedPrefixBlocks(of: seq) : []
        let covered = max(tokenCount, hits.count * blockSize)
        let newBlocks = max(0, blocksNeeded(for: covered) - seq.blockTable.count - hits.count)
        // Hits on free cached blocks take them out of the free pool too.
        let revived = hits.count(where: { blocks[$0].refCount == 0 })
        return (hits, newBlocks, newBlocks + revived <= freeBlockCount)
    }

    /// True when `allocate(seq, upTo: tokenCount)` would succeed.
    public func canAllocate(_ seq: SequenceState, upTo tokenCount: Int) -> Bool {
        plan(seq, upTo: tokenCount).fits
    }

    /// The most positions of `seq` that blocks could cover right now (without preempting
    /// anyone), counting its prefix hits on first allocation; at most `seq.count`.
    public func allocatableTokenCount(for seq: SequenceState) -> Int {
        let hits = isFirstAllocation(seq) ? cachedPrefixBlocks(of: seq) : []
        let revived = hits.count(where: { blocks[$0].refCount == 0 })
        let reachable = seq.blockTable.count + hits.count + freeBlockCount - revived
        return min(seq.count, reachable * blockSize)
    }

    /// Gives `seq` blocks for token positions `0..<tokenCount`, all or nothing.
    ///
    /// On a sequence's first allocation (no blocks, nothing computed: new, or preempted) the
    /// longest cached prefix is taken first: those blocks are shared, `computedCount` jumps to
    /// the prefix length (see `cachedPrefixLength(of:)`), the lookup counters advance, and on
    /// the very first admission `cachedPromptCount` is set. Then fresh blocks are added until
    /// `tokenCount` positions are covered, evicting the least recently freed cached blocks if
    /// no empty one is left.
    /// - Parameters:
    ///   - tokenCount: positions to cover, at most `seq.count`. Pass
    ///     `cachedPrefixLength(of:) + chunk` when admitting a sequence with a chunk of `chunk` tokens.
    /// - Returns: false, with nothing changed, when there are not enough free blocks.
    @discardableResult
    public func allocate(_ seq: SequenceState, upTo tokenCount: Int) -> Bool {
        let first = isFirstAllocation(seq)
        let (hits, newBlocks, fits) = plan(seq, upTo: tokenCount)
        guard fits else { return false }
        for block in hits {
            if blocks[block].refCount == 0 {
                cachedFreeBlocks.remove(block)
                usedBlockCount += 1
            }
            blocks[block].refCount += 1
            seq.blockTable.append(block)
        }
        if first {
            let hitTokens = hits.count * blockSize
            queriedTokenCount += seq.count
            hitTokenCount += hitTokens
            seq.computedCount = hitTokens
            seq.committedBlockCount = hits.count
            if seq.preemptionCount == 0 { seq.cachedPromptCount = min(hitTokens, seq.promptCount) }
        }
        for _ in 0..<newBlocks { seq.blockTable.append(takeFreeBlock()) }
        return true
    }

    /// A free block for exclusive use, its cached contents (if any) forgotten.
    private func takeFreeBlock() -> Int {
        let block: Int
        if let empty = emptyBlocks.popLast() {
            block = empty
        } else {
            guard let oldest = cachedFreeBlocks.popOldest() else {
                preconditionFailure("no free block; callers check the free count first")
            }
            block = oldest
            if let hash = blocks[block].hash, blockByHash[hash] == block { blockByHash[hash] = nil }
        }
        blocks[block] = Block(refCount: 1)
        usedBlockCount += 1
        return block
    }

    /// Returns all of `seq`'s blocks; committed ones stay cached until reused. Resets
    /// `computedCount` to 0, since nothing of it is in the cache any more.
    ///
    /// Blocks are released last first, so that a prefix's tail is evicted before its head:
    /// a block is useless for prefix caching once its predecessor is gone.
    public func free(_ seq: SequenceState) {
        for block in seq.blockTable.reversed() {
            blocks[block].refCount -= 1
            guard blocks[block].refCount == 0 else { continue }
            usedBlockCount -= 1
            if blocks[block].hash != nil { cachedFreeBlocks.append(block) } else { emptyBlocks.append(block) }
        }
        seq.blockTable = []
        seq.computedCount = 0
        seq.committedBlockCount = 0
    }

    // MARK: Committing

    /// Commits every block of `seq` that is now full and computed (below `computedCount`):
    /// records its hash and tokens and makes it findable by later sequences. Call after each
    /// step that advanced `computedCount` (the scheduler's `update` does), never before the
    /// keys and values are written, or another sequence could read a block still being filled.
    public func commitFullBlocks(_ seq: SequenceState) {
        let fullBlocks = min(seq.computedCount / blockSize, seq.blockTable.count)
        while seq.committedBlockCount < fullBlocks {
            let index = seq.committedBlockCount
            let block = seq.blockTable[index]
            // Shared blocks came from the prefix cache and are committed already.
            precondition(blocks[block].hash == nil && blocks[block].refCount == 1, "only private blocks get committed")
            var parentHash = Self.rootHash
            var parentContentID: UInt64 = 0
            if index > 0 {
                let parent = blocks[seq.blockTable[index - 1]]
                parentHash = parent.hash ?? Self.rootHash  // committed in order, so always set
                parentContentID = parent.contentID
            }
            let tokens = seq.tokens[index * blockSize..<(index + 1) * blockSize]
            let hash = hashBlock(parentHash, tokens)
            var contentID: UInt64
            if let existing = blockByHash[hash], blocks[existing].parentContentID == parentContentID,
                blocks[existing].tokens.elementsEqual(tokens)
            {
                contentID = blocks[existing].contentID  // the same prefix, computed twice
            } else {
                contentID = nextContentID
                nextContentID += 1
                if blockByHash[hash] == nil { blockByHash[hash] = block }  // a collision keeps the older entry
            }
            blocks[block] = Block(
                refCount: 1, hash: hash, parentHash: parentHash, contentID: contentID,
                parentContentID: parentContentID, tokens: Array(tokens))
            seq.committedBlockCount += 1
        }
    }
}
