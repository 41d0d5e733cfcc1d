/// Streams text from tokens without ever emitting half a UTF-8 character.
///
/// A token may end partway through a character (an emoji is often two or more byte
/// tokens); those trailing bytes are held back until the tokens that complete them
/// arrive, or until `flush()`.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    /// Bytes of an unfinished character at the end of the text so far (at most 3).
    private var pending: [UInt8] = []

    /// - Parameter tokenizer: the tokenizer whose tokens will be appended.
    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds `token` and returns the text that is now complete (possibly empty).
    public mutating func append(_ token: Int) -> String {
        pending.append(contentsOf: tokenizer.pieces[token])
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is held back (an unfinished character becomes U+FFFD) and resets.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside an unfinished
    /// character. Only the last three bytes can belong to one; anything malformed is
    /// released (and decoded as U+FFFD) rather than held forever.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        var back = 1
        while back <= min(3, count) {
            let byte = bytes[count - back]
            if byte & 0xC0 != 0x80 {
                // `byte` starts a character (or is ASCII): is it complete?
                let needed = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return needed > back ? count - back : count
            }
            back += 1
        }
        return count
    }
}
