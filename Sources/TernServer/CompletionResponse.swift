/// A text completion, whole or one streamed chunk: OpenAI uses `object: "text_completion"` for both.
typealias TextCompletion = ResponseEnvelope<TextCompletionChoice>

/// One choice of a text completion: the text so far (whole) or the new text (a chunk).
struct TextCompletionChoice: ResponseChoice {
    static let object = "text_completion"
    let index: Int
    let text: String
    var logprobs: TextLogprobs?
    var finishReason: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ChoiceKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(index, forKey: .index)
        try c.encodeEnding(logprobs: logprobs, finishReason: finishReason)
    }
}

/// Legacy completions log-probabilities: parallel arrays, one entry per generated token.
struct TextLogprobs: Encodable {
    var tokens: [String] = []
    var tokenLogprobs: [Float] = []
    /// One `{token text: logprob}` object per token; null when no alternatives were asked for.
    var topLogprobs: [[String: Float]]?
    /// Offset of each token's text in the completion, in characters.
    var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(tokenLogprobs, forKey: .tokenLogprobs)
        try c.encodeNullable(topLogprobs, forKey: .topLogprobs)
        try c.encode(textOffset, forKey: .textOffset)
    }
}
