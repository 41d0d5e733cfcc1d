/// The tokens of one forward pass: chunks of one or more sequences, each continuing at its
/// own position with its own block table, so that every weight is read once for all of them.
///
/// Reused from step to step (`removeAll` keeps the storage), so building a batch does not
/// allocate once the arrays have grown to their working size.
public final class ForwardBatch {
    /// Token ids of every chunk, one chunk after another.
    public private(set) var tokens: [Int] = []
    /// Position of each token in its sequence.
    private(set) var positions: [Int] = []
    /// Index into `chunks` of each token.
    private(set) var chunkOfToken: [Int] = []
    private(set) var chunks: [Chunk] = []
    /// Block ids of every chunk's table, one table after another.
    private(set) var tables: [Int32] = []
    /// Tokens whose logits the pass returns, in row order.
    public private(set) var logitTokens: [Int] = []

    struct Chunk {
        var firstToken: Int
        var tokenCount: Int
        var startPosition: Int
        var tableStart: Int
        var tableCount: Int
    }

    public init() {}

    public var isEmpty: Bool { tokens.isEmpty }
    public var chunkCount: Int { chunks.count }

    public func removeAll() {
        tokens.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        chunkOfToken.removeAll(keepingCapacity: true)
        chunks.removeAll(keepingCapacity: true)
        tables.removeAll(keepingCapacity: true)
        logitTokens.removeAll(keepingCapacity: true)
    }

    /// Adds `tokens` of one sequence, at positions `startPosition...`.
    /// - Parameters:
    ///   - blockTable: the sequence's blocks, covering at least positions `0..<startPosition + tokens.count`.
    ///   - logits: whether the pass returns the logits of the chunk's last token.
    public func append(
        tokens chunk: some Collection<Int>, startPosition: Int, blockTable: some Collection<Int>, logits: Bool
    ) {
        precondition(!chunk.isEmpty && startPosition >= 0)  // the scheduler never sends an empty chunk
        let index = chunks.count
        chunks.append(
            Chunk(
                firstToken: tokens.count, tokenCount: chunk.count, startPosition: startPosition,
                tableStart: tables.count, tableCount: blockTable.count))
        for block in blockTable { tables.append(Int32(block)) }
        var position = startPosition
        for token in chunk {
            tokens.append(token)
            positions.append(position)
            chunkOfToken.append(index)
            position += 1
        }
        if logits { logitTokens.append(tokens.count - 1) }
    }

    /// Asks for the logits of the batch's last `count` tokens, in order (for scoring text).
    public func requestLastLogits(_ count: Int) {
        precondition(count >= 0 && count <= tokens.count)
        logitTokens.removeAll(keepingCapacity: true)
        logitTokens.append(contentsOf: (tokens.count - count)..<tokens.count)
    }
}
