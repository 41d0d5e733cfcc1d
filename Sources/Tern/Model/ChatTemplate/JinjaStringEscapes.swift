/// Python string escapes: decoding Jinja string literals, and `repr()`/JSON encoding of strings.
enum JinjaStringEscapes {
    /// Decodes the body of a string literal the way Jinja does (Python's `unicode-escape`):
    /// `\n \t \r \\ \' \" \a \b \f \v`, octal `\0`-`\777`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`,
    /// backslash-newline as a line continuation; unknown escapes keep their backslash.
    static func unescape(_ body: ArraySlice<UInt8>) -> String {
        guard body.contains(.backslash) else { return String(decoding: body, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            guard byte == .backslash, index + 1 < body.endIndex else {
                out.append(byte)
                index += 1
                continue
            }
            let escaped = body[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case .backslash, .singleQuote, .doubleQuote: out.append(escaped)
            case .newline: break
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = UInt32(escaped - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, index < body.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(body[index]) {
                    value = value * 8 + UInt32(body[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                appendScalar(value, to: &out)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let width = escaped == UInt8(ascii: "x") ? 2 : escaped == UInt8(ascii: "u") ? 4 : 8
                if let value = hexValue(body, from: index, width: width) {
                    appendScalar(value, to: &out)
                    index += width
                } else {
                    out.append(.backslash)
                    out.append(escaped)
                }
            default:
                out.append(.backslash)
                out.append(escaped)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ body: ArraySlice<UInt8>, from start: Int, width: Int) -> UInt32? {
        guard start + width <= body.endIndex else { return nil }
        var value: UInt32 = 0
        for byte in body[start..<(start + width)] {
            guard let digit = UInt32(String(UnicodeScalar(byte)), radix: 16) else { return nil }
            value = value &* 16 &+ digit
        }
        return value
    }

    /// Appends a code point as UTF-8; lone surrogates and out-of-range values become U+FFFD.
    private static func appendScalar(_ value: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    /// Python's `repr()` of a string: single quotes unless the text has `'` and no `"`.
    static func pythonRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// A JSON string literal as Python's `json.dumps` writes it; `asciiOnly` (Python's
    /// `ensure_ascii=True`) escapes everything beyond ASCII as `\uXXXX`, with surrogate pairs.
    static func jsonQuoted(_ text: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7F && scalar.value <= 0xFFFF) {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else if asciiOnly, scalar.value > 0xFFFF {
                    let offset = scalar.value - 0x10000
                    out += "\\u" + hex(0xD800 + (offset >> 10), width: 4) + "\\u" + hex(0xDC00 + (offset & 0x3FF), width: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
