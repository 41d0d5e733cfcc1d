/// The merge table of a byte-level BPE vocabulary, and the merge loop for one word.
///
/// Merging works on symbol ids rather than strings. Ids below `vocabularySize` are
/// tokens; higher ids name strings that a merge uses or produces but the vocabulary
/// lacks (rare, but llama.cpp merges strings, so such chains must still work).
struct BPEMerges: Sendable {
    let vocabularySize: Int
    /// The symbol of each byte on its own. (256)
    let byteSymbols: [Int32]
    let merges: MergeTable
    /// UTF-8 of the byte-level spelling of each symbol past the vocabulary (id - vocabularySize).
    let extraSymbolSpellings: [[UInt8]]
    /// The token spelled by each single ASCII character, or -1. (128) For words whose merged
    /// symbol is not a token, llama.cpp falls back to looking its bytes up one by one.
    let asciiTokens: [Int32]

    /// - Parameters:
    ///   - tokens: each token's stored text to its id.
    ///   - mergeList: `tokenizer.ggml.merges`, "left right" in priority order.
    init(tokens: TokenIndex, vocabularySize: Int, mergeList: [String]) {
        self.vocabularySize = vocabularySize
        var symbols = SymbolNumbering(tokens: tokens, vocabularySize: vocabularySize)
        byteSymbols = ByteLevel.utf8OfByte.map { spelling in spelling.withUnsafeBufferPointer { symbols.id(of: $0) } }

        var merges = MergeTable(capacity: mergeList.count)
        var joined: [UInt8] = []
        for rank in mergeList.indices {
            var line = mergeList[rank]
            line.withUTF8 { utf8 in
                // Split at the first space after the first byte, as llama.cpp does.
                guard utf8.count > 2, let space = utf8[1...].firstIndex(of: 0x20), space + 1 < utf8.count else { return }
                let left = symbols.id(of: UnsafeBufferPointer(rebasing: utf8[..<space]))
                let right = symbols.id(of: UnsafeBufferPointer(rebasing: utf8[(space + 1)...]))
                guard merges.merge(left, right) == nil else { return }  // the first (highest priority) rule wins
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: utf8[..<space])
                joined.append(contentsOf: utf8[(space + 1)...])
                let result = joined.withUnsafeBufferPointer { symbols.id(of: $0) }
                merges.insertIfAbsent(left, right, MergeTable.Merge(rank: Int32(rank), result: result))
            }
        }
        self.merges = merges
        extraSymbolSpellings = symbols.extraSpellings

        asciiTokens = (0..<128).map { byte in [UInt8(byte)].withUnsafeBufferPointer { tokens.id(of: $0) } ?? -1 }
    }

    /// Ids for spellings: the token's id, or a new id past the vocabulary.
    private struct SymbolNumbering {
        var symbols: TokenIndex
        let vocabularySize: Int
        var extraSpellings: [[UInt8]] = []

        init(tokens: TokenIndex, vocabularySize: Int) {
            symbols = tokens
            self.vocabularySize = vocabularySize
        }

        mutating func id(of spelling: UnsafeBufferPointer<UInt8>) -> Int32 {
            if let id = symbols.id(of: spelling) { return id }
            let id = Int32(vocabularySize + extraSpellings.count)
            symbols.insert(spelling, id: id)
            extraSpellings.append(Array(spelling))
            return id
        }
    }

    /// Reusable buffers for `encode`, so a long text costs no allocation per word.
    struct Scratch {
        var ids: [Int32] = []  // symbol id per position; -1 once merged into its left neighbour
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = MergeQueue()
        var spelling: [UInt8] = []  // a word's byte-level spelling, for whole-word lookups
    }

    /// Merges the bytes of one word and appends its tokens to `output`.
    func encode(word bytes: ArraySlice<UInt8>, into output: inout [Int], scratch: inout Scratch) {
        let count = bytes.count
        guard count > 0 else { return }
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.queue.removeAll()
        for index in 0..<count {
            scratch.ids.append(byteSymbols[Int(bytes[bytes.startIndex + index])])
            scratch.previous.append(Int32(index - 1))
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        for index in 1..<count { enqueuePair(Int32(index - 1), Int32(index), &scratch) }

        while let candidate = scratch.queue.popFirst() {
            let left = Int(candidate.left)
            let right = Int(candidate.right)
            // Stale if either side has changed since the pair was queued.
            guard scratch.ids[left] == candidate.leftID, scratch.ids[right] == candidate.rightID else { continue }
            scratch.ids[left] = candidate.result
            scratch.ids[right] = -1
            let after = scratch.next[right]
            scratch.next[left] = after
            if after >= 0 { scratch.previous[Int(after)] = candidate.left }
            enqueuePair(scratch.previous[left], candidate.left, &scratch)
            enqueuePair(candidate.left, after, &scratch)
        }

        // Position 0 is never merged away (merges keep the left symbol).
        var index: Int32 = 0
        while index >= 0 {
            let id = Int(scratch.ids[Int(index)])
            if id < vocabularySize {
                output.append(id)
            } else {
                for byte in extraSymbolSpellings[id - vocabularySize] where byte < 0x80 {
                    let token = asciiTokens[Int(byte)]
                    if token >= 0 { output.append(Int(token)) }
                }
            }
            index = scratch.next[Int(index)]
        }
    }

    private func enqueuePair(_ left: Int32, _ right: Int32, _ scratch: inout Scratch) {
        guard left >= 0, right >= 0 else { return }
        let leftID = scratch.ids[Int(left)]
        let rightID = scratch.ids[Int(right)]
        guard let merge = merges.merge(leftID, rightID) else { return }
        scratch.queue.insert(
            MergeQueue.Candidate(
                rank: merge.rank, left: left, right: right, leftID: leftID, rightID: rightID, result: merge.result))
    }
}
