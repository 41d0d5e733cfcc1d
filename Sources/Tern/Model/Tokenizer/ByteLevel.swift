/// GPT-2's byte-level alphabet: every byte 0...255 is written as one printable code
/// point, so a vocabulary of strings can hold any byte sequence.
///
/// Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves; the
/// other 68 bytes, in increasing order, take code points 256, 257, ... (space, 0x20,
/// becomes `Ġ`, U+0120; newline becomes `Ċ`, U+010A).
enum ByteLevel {
    /// The code point that stands for each byte. (256 entries)
    static let codepointOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if standsForItself(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte each code point below 324 stands for, or -1. (324 entries)
    static let byteOfCodepoint: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, codepoint) in codepointOfByte.enumerated() { table[Int(codepoint)] = Int16(byte) }
        return table
    }()

    /// UTF-8 of each byte's stand-in code point. (256 entries of 1 or 2 bytes)
    static let utf8OfByte: [[UInt8]] = codepointOfByte.map { Unicode.Scalar($0).map { Array(String($0).utf8) } ?? [] }

    private static func standsForItself(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes a vocabulary string stands for. A code point outside the alphabet (never
    /// in a well-formed vocabulary) is spelled out as llama.cpp does:
    /// `[UNK_BYTE_0x<its UTF-8 in hex><the whole token text>]` (the text only when short,
    /// so a hostile file cannot make this quadratic).
    static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            if value < byteOfCodepoint.count, byteOfCodepoint[value] >= 0 {
                bytes.append(UInt8(byteOfCodepoint[value]))
            } else {
                let hex = String(scalar).utf8.map { byte in
                    let digits = String(byte, radix: 16)
                    return byte < 16 ? "0" + digits : digits
                }
                let context = text.utf8.count <= 256 ? text : ""
                bytes.append(contentsOf: "[UNK_BYTE_0x\(hex.joined())\(context)]".utf8)
            }
        }
        return bytes
    }
}
