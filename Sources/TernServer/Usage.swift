/// Token counts of a request, as OpenAI reports them. The prompt counts once, however many
/// choices were generated from it.
struct Usage: Encodable, Equatable {
    var promptTokens = 0
    var completionTokens = 0
    var cachedTokens = 0

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }

    private struct PromptDetails: Encodable {
        let cached_tokens: Int
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(promptTokens + completionTokens, forKey: .totalTokens)
        try c.encode(PromptDetails(cached_tokens: cachedTokens), forKey: .promptTokensDetails)
    }
}

/// `GET /v1/models`.
struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        var object = "model"
        let created: Int
        var owned_by = "tern"
        /// Not in OpenAI's schema; vLLM reports it too, so clients can size prompts.
        let max_model_len: Int
    }
    var object = "list"
    let data: [Model]
}

/// Encodes `value`, writing `null` for nil, as OpenAI's responses spell absent values.
extension KeyedEncodingContainer {
    mutating func encodeNullable<Value: Encodable>(_ value: Value?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
