/// The merge table of a byte-level BPE vocabulary, and the merge loop for one word.
///
/// Merging works on symbol ids rather than strings. Ids below `vocabularySize` are
/// tokens; higher ids name strings that a merge uses or produces but the vocabulary
/// lacks (rare, but llama.cpp merges strings, so such chains must still work).
struct BPEMerges: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    let vocabularySize: Int
    /// The symbol of each byte on its own. (256)
    let byteSymbols: [Int32]
    /// Keyed by `left << 32 | right` symbol ids.
    let merges: [UInt64: Merge]
    /// UTF-8 of the byte-level spelling of each symbol past the vocabulary (id - vocabularySize).
    let extraSymbolSpellings: [[UInt8]]
    /// The token spelled by each single ASCII character, or -1. (128) For words whose merged
    /// symbol is not a token, llama.cpp falls back to looking its bytes up one by one.
    let asciiTokens: [Int32]

    /// - Parameters:
    ///   - tokenIDs: each token's stored text to its id.
    ///   - mergeList: `tokenizer.ggml.merges`, "left right" in priority order.
    init(tokenIDs: [String: Int32], vocabularySize: Int, mergeList: [String]) {
        self.vocabularySize = vocabularySize
        var extra: [String: Int32] = [:]
        var extraSpellings: [[UInt8]] = []
        func symbol(_ text: String) -> Int32 {
            if let id = tokenIDs[text] ?? extra[text] { return id }
            let id = Int32(vocabularySize + extraSpellings.count)
            extra[text] = id
            extraSpellings.append(Array(text.utf8))
            return id
        }

        byteSymbols = ByteLevel.utf8OfByte.map { symbol(String(decoding: $0, as: UTF8.self)) }

        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(mergeList.count)
        for (rank, line) in mergeList.enumerated() {
            // Split at the first space after the first byte, as llama.cpp does.
            let utf8 = line.utf8
            guard !utf8.isEmpty,
                let space = utf8[utf8.index(after: utf8.startIndex)...].firstIndex(of: 0x20)
            else { continue }
            let leftText = String(decoding: utf8[..<space], as: UTF8.self)
            let rightText = String(decoding: utf8[utf8.index(after: space)...], as: UTF8.self)
            guard !rightText.isEmpty else { continue }
            let left = symbol(leftText)
            let right = symbol(rightText)
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            guard merges[key] == nil else { continue }  // the first (highest priority) rule wins
            merges[key] = Merge(rank: Int32(rank), result: symbol(leftText + rightText))
        }
        self.merges = merges
        extraSymbolSpellings = extraSpellings

        asciiTokens = (0..<128).map { tokenIDs[String(UnicodeScalar(UInt8($0)))] ?? -1 }
    }

    /// Reusable buffers for `encode`, so a long text costs no allocation per word.
    struct Scratch {
        var ids: [Int32] = []  // symbol id per position; -1 once merged into its left neighbour
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = MergeQueue()
    }

    /// Merges the bytes of one word and appends its tokens to `output`.
    func encode(word bytes: ArraySlice<UInt8>, into output: inout [Int], scratch: inout Scratch) {
        let count = bytes.count
        guard count > 0 else { return }
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.queue.removeAll()
        for (index, byte) in bytes.enumerated() {
            scratch.ids.append(byteSymbols[Int(byte)])
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
        let key = UInt64(UInt32(leftID)) << 32 | UInt64(UInt32(rightID))
        guard let merge = merges[key] else { return }
        scratch.queue.insert(
            MergeQueue.Candidate(
                rank: merge.rank, left: left, right: right, leftID: leftID, rightID: rightID, result: merge.result))
    }
}
