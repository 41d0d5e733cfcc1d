/// A whole chat completion (`object: "chat.completion"`).
typealias ChatCompletion = ResponseEnvelope<ChatCompletionChoice>

/// One server-sent event of a streamed chat completion (`object: "chat.completion.chunk"`).
/// The final usage chunk (`stream_options.include_usage`) has empty `choices`.
typealias ChatCompletionChunk = ResponseEnvelope<ChatCompletionDelta>

/// One choice of a whole chat completion: the assistant's message.
struct ChatCompletionChoice: ResponseChoice {
    static let object = "chat.completion"
    let index: Int
    let content: String
    let logprobs: ChatLogprobs?
    let finishReason: String

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ChoiceKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(AssistantMessage(content: content), forKey: .message)
        try c.encodeEnding(logprobs: logprobs, finishReason: finishReason)
    }

    struct AssistantMessage: Encodable {
        let content: String
        enum CodingKeys: String, CodingKey { case role, content, refusal }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("assistant", forKey: .role)
            try c.encode(content, forKey: .content)
            try c.encodeNil(forKey: .refusal)
        }
    }
}

/// One choice of a streamed chat chunk: what the message gained since the last chunk.
struct ChatCompletionDelta: ResponseChoice {
    static let object = "chat.completion.chunk"
    let index: Int
    /// The first chunk of each choice names the role; the rest carry only text.
    var role: String?
    var content: String?
    var logprobs: ChatLogprobs?
    var finishReason: String?

    enum DeltaKeys: String, CodingKey { case role, content }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ChoiceKeys.self)
        try c.encode(index, forKey: .index)
        var delta = c.nestedContainer(keyedBy: DeltaKeys.self, forKey: .delta)
        try delta.encodeIfPresent(role, forKey: .role)
        try delta.encodeIfPresent(content, forKey: .content)
        try c.encodeEnding(logprobs: logprobs, finishReason: finishReason)
    }
}

/// Chat log-probabilities: `{"content": [{token, logprob, bytes, top_logprobs}], "refusal": null}`.
struct ChatLogprobs: Encodable {
    var content: [Entry]

    struct Entry: Encodable {
        let token: String
        let logprob: Float
        let bytes: [UInt8]
        let top_logprobs: [Alternative]
    }

    struct Alternative: Encodable {
        let token: String
        let logprob: Float
        let bytes: [UInt8]
    }

    enum CodingKeys: String, CodingKey { case content, refusal }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(content, forKey: .content)
        try c.encodeNil(forKey: .refusal)
    }
}
