/// A text completion, whole or one streamed chunk: OpenAI uses `object: "text_completion"` for both.
struct TextCompletion: Encodable {
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    /// Always on a whole completion; on a stream only in the final usage chunk.
    var usage: Usage?

    struct Choice: Encodable {
        let index: Int
        let text: String
        var logprobs: TextLogprobs?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, text, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(index, forKey: .index)
            try c.encodeNullable(logprobs, forKey: .logprobs)
            try c.encodeNullable(finishReason, forKey: .finishReason)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(choices, forKey: .choices)
        try c.encodeIfPresent(usage, forKey: .usage)
        try c.encodeNil(forKey: .systemFingerprint)
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
