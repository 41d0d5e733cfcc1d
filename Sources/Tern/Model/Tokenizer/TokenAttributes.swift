/// What kind of token a vocabulary entry is (llama.cpp's token attributes).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt8

    static let undefined = TokenAttributes(rawValue: 1 << 0)
    static let unknown = TokenAttributes(rawValue: 1 << 1)
    static let unused = TokenAttributes(rawValue: 1 << 2)
    static let normal = TokenAttributes(rawValue: 1 << 3)
    /// Control tokens (`<|im_start|>`, `<|endoftext|>`): matched in text only when parsing specials.
    static let control = TokenAttributes(rawValue: 1 << 4)
    /// Added tokens that are always matched in text before pre-tokenization.
    static let userDefined = TokenAttributes(rawValue: 1 << 5)
    /// SentencePiece-style byte tokens `<0xAB>`.
    static let byte = TokenAttributes(rawValue: 1 << 6)

    /// Attributes of GGUF `tokenizer.ggml.token_type` value `type`
    /// (0 undefined, 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    init(ggufTokenType type: Int) {
        switch type {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = .undefined
        }
    }

    init(rawValue: UInt8) { self.rawValue = rawValue }

    // Plain bit tests: set-algebra literals are slow in debug builds, which the tests use.
    func containsAny(_ other: TokenAttributes) -> Bool { rawValue & other.rawValue != 0 }

    /// Matched in raw text before pre-tokenization (llama.cpp's special-token cache).
    var isSpecial: Bool { containsAny(Self.matchedInText) }
    /// Rendered as their stored text.
    var isVerbatim: Bool { containsAny(Self.matchedInText) }
    /// Matched only when special parsing is on.
    var needsParseSpecial: Bool { containsAny(Self.parsedWhenSpecial) }

    private static let matchedInText = TokenAttributes(rawValue: control.rawValue | userDefined.rawValue | unknown.rawValue)
    private static let parsedWhenSpecial = TokenAttributes(rawValue: control.rawValue | unknown.rawValue)
}
