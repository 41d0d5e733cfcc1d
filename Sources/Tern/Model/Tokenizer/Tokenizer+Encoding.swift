extension Tokenizer {
    /// The token ids of `text`.
    /// - Parameters:
    ///   - text: the text to encode.
    ///   - addSpecial: add BOS (and EOS) when the model asks for them (`addsBOS`, `addsEOS`).
    ///   - parseSpecial: encode control tokens written in the text (`<|im_start|>`) as
    ///     single tokens; when false they are encoded as ordinary text.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int] {
        var output: [Int] = []
        if addSpecial && addsBOS, let bosToken { output.append(bosToken) }
        let bytes = Array(text.utf8)
        output.reserveCapacity(output.count + bytes.count / 3 + 2)
        var scratch = BPEMerges.Scratch()
        for fragment in specialTokens.split(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(token):
                output.append(token)
            case let .text(range):
                encodeOrdinary(bytes[range], into: &output, scratch: &scratch)
            }
        }
        if addSpecial && addsEOS, let eosToken { output.append(eosToken) }
        return output
    }

    /// Pre-tokenizes and merges text that holds no special tokens.
    private func encodeOrdinary(_ bytes: ArraySlice<UInt8>, into output: inout [Int], scratch: inout BPEMerges.Scratch) {
        // Code points, and where each starts in `bytes`. Input came from a String, so it
        // is valid UTF-8, and special-token cuts fall on character boundaries.
        var codepoints: [UInt32] = []
        var starts: [Int] = []
        codepoints.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            var value = UInt32(lead) & (length == 1 ? 0x7F : length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for offset in 1..<length where index + offset < bytes.endIndex {
                value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
            }
            codepoints.append(value)
            starts.append(index)
            index += length
        }
        starts.append(bytes.endIndex)

        var wordStart = 0
        for wordEnd in preTokenizer.wordEnds(of: codepoints) {
            let word = bytes[starts[wordStart]..<starts[wordEnd]]
            wordStart = wordEnd
            if preTokenizer.ignoresMerges {
                scratch.spelling.removeAll(keepingCapacity: true)
                for byte in word { scratch.spelling.append(contentsOf: ByteLevel.utf8OfByte[Int(byte)]) }
                if let token = scratch.spelling.withUnsafeBufferPointer({ tokenIDs.id(of: $0) }) {
                    output.append(Int(token))
                    continue
                }
            }
            merges.encode(word: word, into: &output, scratch: &scratch)
        }
    }
}
