/// The raw bytes every token stands for, in one flat buffer (llama.cpp's
/// `token_to_piece` with special tokens rendered).
struct TokenPieces: Sendable {
    private let bytes: [UInt8]
    /// Token `i` is `bytes[offsets[i]..<offsets[i + 1]]`. (count + 1)
    private let offsets: [Int]

    init(texts: [String], attributes: [TokenAttributes]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(texts.count * 8)
        var offsets: [Int] = [0]
        offsets.reserveCapacity(texts.count + 1)
        for (text, attributes) in zip(texts, attributes) {
            if attributes.isVerbatim {
                bytes.append(contentsOf: text.utf8)
            } else if attributes.containsAny(.normal) {
                bytes.append(contentsOf: ByteLevel.decode(text))
            } else if attributes.containsAny(.byte), let byte = Self.byteValue(of: text) {
                bytes.append(byte)
            }
            // Unused and undefined tokens render as nothing.
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
    }

    var count: Int { offsets.count - 1 }

    /// The bytes of `token`; empty for an id outside the vocabulary.
    subscript(token: Int) -> ArraySlice<UInt8> {
        guard token >= 0, token < count else { return [] }
        return bytes[offsets[token]..<offsets[token + 1]]
    }

    /// The byte of a `<0xAB>` token.
    private static func byteValue(of text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }
}
