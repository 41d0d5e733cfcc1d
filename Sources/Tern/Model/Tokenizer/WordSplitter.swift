/// The hand-written matchers behind `PreTokenizer`: each walks one piece of text
/// (`lo..<hi`, code point indices) and records where each word ends.
///
/// Inside a piece, looking at index `hi` or beyond yields no flags and no code point,
/// so "followed by a non-space" (`(?!\S)`) fails at the end of a piece: a run of spaces
/// at the end of a piece stays whole.
struct WordSplitter {
    let codepoints: [UInt32]
    let flags: [CodepointFlags]
    private(set) var ends: [Int] = []

    private static let pastEnd = UInt32.max

    init(codepoints: [UInt32]) {
        self.codepoints = codepoints
        flags = codepoints.map(CodepointFlags.of)
        ends.reserveCapacity(codepoints.count / 3 + 1)
    }

    /// Ends the current word at `end` unless it would be empty.
    private mutating func cut(_ end: Int) {
        if end > (ends.last ?? 0) { ends.append(end) }
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    mutating func splitGPT2(_ lo: Int, _ hi: Int) {
        func flag(_ i: Int) -> CodepointFlags { i < hi ? flags[i] : .none }
        var pos = lo
        while pos < hi {
            let c = codepoints[pos]
            if let length = contraction(at: pos, hi, caseInsensitive: false) {
                pos += length
                cut(pos)
                continue
            }
            // An optional leading space, then a run of one class.
            let lead = c == 0x20 ? flag(pos + 1) : flags[pos]
            if lead.isLetter || lead.isNumber || lead.isOther {
                if c == 0x20 { pos += 1 }
                if lead.isLetter {
                    while flag(pos).isLetter { pos += 1 }
                } else if lead.isNumber {
                    while flag(pos).isNumber { pos += 1 }
                } else {
                    while flag(pos).isOther { pos += 1 }
                }
                cut(pos)
                continue
            }
            var spaces = 0
            while flag(pos + spaces).isWhitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < hi {
                // `\s+(?!\S)`: leave the last space to lead the next word.
                pos += spaces - 1
            } else if spaces > 0 {
                pos += spaces
            } else {
                pos += 1
            }
            cut(pos)
        }
    }

    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    mutating func splitLlama3(_ lo: Int, _ hi: Int, maxDigits: Int) {
        func flag(_ i: Int) -> CodepointFlags { i < hi ? flags[i] : .none }
        func codepoint(_ i: Int) -> UInt32 { i < hi ? codepoints[i] : Self.pastEnd }
        func isNewline(_ c: UInt32) -> Bool { c == 0x0A || c == 0x0D }
        var pos = lo
        while pos < hi {
            let c = codepoints[pos]
            let here = flags[pos]
            if let length = contraction(at: pos, hi, caseInsensitive: true) {
                pos += length
                cut(pos)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`: any one non-newline, non-number code point may lead letters.
            if !isNewline(c) && !here.isNumber && (here.isLetter || flag(pos + 1).isLetter) {
                pos += 1
                while flag(pos).isLetter { pos += 1 }
                cut(pos)
                continue
            }
            if here.isNumber {
                var start = pos
                while flag(pos).isNumber {
                    pos += 1
                    if pos - start >= maxDigits {
                        cut(pos)
                        start = pos
                    }
                }
                cut(pos)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let lead = c == 0x20 ? flag(pos + 1) : here
            if lead.isEmpty || lead.isOther {
                // (A lone space at the end of the piece also lands here, as in llama.cpp.)
                if c == 0x20 { pos += 1 }
                while flag(pos).isOther { pos += 1 }
                while isNewline(codepoint(pos)) { pos += 1 }
                cut(pos)
                continue
            }
            var spaces = 0
            var afterLastNewline = 0
            while flag(pos + spaces).isWhitespace {
                if isNewline(codepoints[pos + spaces]) { afterLastNewline = pos + spaces + 1 }
                spaces += 1
            }
            if afterLastNewline > 0 {
                pos = afterLastNewline  // `\s*[\r\n]+`
            } else if spaces > 1 && pos + spaces < hi {
                pos += spaces - 1  // `\s+(?!\S)`
            } else if spaces > 0 {
                pos += spaces  // `\s+`
            } else {
                pos += 1
            }
            cut(pos)
        }
    }

    /// Length of an English contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at `pos`, or nil.
    private func contraction(at pos: Int, _ hi: Int, caseInsensitive: Bool) -> Int? {
        guard codepoints[pos] == 0x27, pos + 1 < hi else { return nil }
        func lower(_ c: UInt32) -> UInt32 { caseInsensitive && c >= 0x41 && c <= 0x5A ? c + 0x20 : c }
        let next = lower(codepoints[pos + 1])
        switch next {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard pos + 2 < hi else { return nil }
        switch (next, lower(codepoints[pos + 2])) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3  // re ve ll
        default: return nil
        }
    }
}
