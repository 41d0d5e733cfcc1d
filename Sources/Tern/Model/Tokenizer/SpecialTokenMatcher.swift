/// Cuts special tokens written in raw text (`<|im_start|>`, added tokens) out of it
/// before pre-tokenization, so each becomes one token.
///
/// As in llama.cpp, tokens are tried longest first, and each token claims all its
/// occurrences in the text left over by longer ones. Control and unknown tokens are
/// matched only when special parsing is on; user-defined tokens always are.
struct SpecialTokenMatcher: Sendable {
    struct Entry: Sendable {
        let token: Int
        let bytes: [UInt8]
        /// Control or unknown: matched only when parsing specials.
        let needsParseSpecial: Bool
    }

    enum Fragment: Equatable {
        /// Byte range of text still to pre-tokenize.
        case text(Range<Int>)
        case token(Int)
    }

    /// Longest first; equal lengths by id.
    let entries: [Entry]
    /// Whether some special token starts with this byte. (256)
    private let isFirstByte: [Bool]

    init(texts: [String], attributes: [TokenAttributes]) {
        var entries: [Entry] = []
        for token in texts.indices where attributes[token].isSpecial {
            entries.append(
                Entry(
                    token: token, bytes: Array(texts[token].utf8),
                    needsParseSpecial: attributes[token].needsParseSpecial))
        }
        entries.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.token < $1.token }
        self.entries = entries
        var isFirstByte = [Bool](repeating: false, count: 256)
        for entry in entries { if let first = entry.bytes.first { isFirstByte[Int(first)] = true } }
        self.isFirstByte = isFirstByte
    }

    /// `text` as a sequence of text ranges and special tokens, in order.
    func split(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<text.count)]
        // Only positions holding some token's first byte can start a match (few in most text).
        let candidates = text.indices.filter { isFirstByte[Int(text[$0])] }
        guard !candidates.isEmpty else { return fragments }
        text.withUnsafeBufferPointer { haystack in
            for entry in entries where !entry.bytes.isEmpty && (parseSpecial || !entry.needsParseSpecial) {
                var next: [Fragment] = []
                var found = false
                for fragment in fragments {
                    guard case var .text(range) = fragment else {
                        next.append(fragment)
                        continue
                    }
                    while let match = Self.find(entry.bytes, in: haystack, range, candidates) {
                        found = true
                        if match > range.lowerBound { next.append(.text(range.lowerBound..<match)) }
                        next.append(.token(entry.token))
                        range = (match + entry.bytes.count)..<range.upperBound
                    }
                    if !range.isEmpty { next.append(.text(range)) }
                }
                if found { fragments = next }
            }
        }
        return fragments
    }

    /// Index of the first occurrence of `needle` inside `range` of `haystack`, trying
    /// only the `candidates` positions (ascending).
    private static func find(
        _ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ candidates: [Int]
    ) -> Int? {
        let count = needle.count
        guard count <= range.count, let first = needle.first else { return nil }
        let lastStart = range.upperBound - count
        // First candidate at or after range.lowerBound.
        var low = 0
        var high = candidates.count
        while low < high {
            let middle = (low + high) / 2
            if candidates[middle] < range.lowerBound { low = middle + 1 } else { high = middle }
        }
        while low < candidates.count && candidates[low] <= lastStart {
            let start = candidates[low]
            if haystack[start] == first {
                var length = 1
                while length < count && haystack[start + length] == needle[length] { length += 1 }
                if length == count { return start }
            }
            low += 1
        }
        return nil
    }
}
