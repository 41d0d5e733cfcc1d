/// The Unicode facts a pre-tokenizer asks about one code point: its general category
/// group (exactly one of the category flags) and whether it is white space.
///
/// `none` (no bit set) stands for "past the end of the piece being split", which the
/// split rules treat differently from any real code point.
struct CodepointFlags: OptionSet, Sendable {
    let rawValue: UInt16

    static let undefined = CodepointFlags(rawValue: 1 << 0)  // Cn
    static let number = CodepointFlags(rawValue: 1 << 1)  // \p{N}
    static let letter = CodepointFlags(rawValue: 1 << 2)  // \p{L}
    static let separator = CodepointFlags(rawValue: 1 << 3)  // \p{Z}
    static let mark = CodepointFlags(rawValue: 1 << 4)  // \p{M}
    static let punctuation = CodepointFlags(rawValue: 1 << 5)  // \p{P}
    static let symbol = CodepointFlags(rawValue: 1 << 6)  // \p{S}
    static let control = CodepointFlags(rawValue: 1 << 7)  // \p{C}
    static let whitespace = CodepointFlags(rawValue: 1 << 8)  // \s (Unicode White_Space)

    static let none: CodepointFlags = []

    // Plain bit tests: set-algebra calls are slow in debug builds, which the tests use.
    var isLetter: Bool { rawValue & Self.letter.rawValue != 0 }
    var isNumber: Bool { rawValue & Self.number.rawValue != 0 }
    var isWhitespace: Bool { rawValue & Self.whitespace.rawValue != 0 }
    /// Not white space, letter or number: what `[^\s\p{L}\p{N}]` matches (and not past the end).
    var isOther: Bool { rawValue != 0 && rawValue & Self.spaceLetterNumber == 0 }
    private static let spaceLetterNumber = whitespace.rawValue | letter.rawValue | number.rawValue

    /// Flags of `codepoint`; ASCII from a table, the rest from the Unicode data in the standard library.
    static func of(_ codepoint: UInt32) -> CodepointFlags {
        if codepoint < 128 { return ascii[Int(codepoint)] }
        return computed(codepoint)
    }

    private static let ascii: [CodepointFlags] = (0..<128).map { computed(UInt32($0)) }

    private static func computed(_ codepoint: UInt32) -> CodepointFlags {
        guard let scalar = Unicode.Scalar(codepoint) else { return .control }  // surrogates are Cs
        var flags: CodepointFlags
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags = .letter
        case .nonspacingMark, .spacingMark, .enclosingMark:
            flags = .mark
        case .decimalNumber, .letterNumber, .otherNumber:
            flags = .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            flags = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            flags = .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            flags = .separator
        case .control, .format, .surrogate, .privateUse:
            flags = .control
        case .unassigned:
            flags = .undefined
        @unknown default:
            flags = .undefined
        }
        if scalar.properties.isWhitespace { flags.insert(.whitespace) }
        return flags
    }
}
