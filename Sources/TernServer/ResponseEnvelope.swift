/// A choice in one kind of OpenAI completion response; `object` names the response that carries it.
protocol ResponseChoice: Encodable {
    /// The response's `object` field, e.g. `"chat.completion.chunk"`.
    static var object: String { get }
}

/// What every OpenAI completion response has around its choices: `id`, `object`, `created`,
/// `model`, `choices`, `usage` when present and a null `system_fingerprint`, in that order.
/// Whole responses and streamed chunks of both endpoints differ only in their choices.
struct ResponseEnvelope<Choice: ResponseChoice>: Encodable {
    let id: String
    let created: Int
    let model: String
    let choices: [Choice]
    /// Always on a whole completion; on a stream only in the final usage chunk.
    var usage: Usage?

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(Choice.object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(choices, forKey: .choices)
        try c.encodeIfPresent(usage, forKey: .usage)
        try c.encodeNil(forKey: .systemFingerprint)
    }
}

/// The keys of a choice in every completion response. Each kind carries one of `text`,
/// `message` or `delta` after its `index`, and ends with `logprobs` and `finish_reason`.
enum ChoiceKeys: String, CodingKey {
    case index, text, message, delta, logprobs
    case finishReason = "finish_reason"
}

extension KeyedEncodingContainer where K == ChoiceKeys {
    /// What ends every choice: `logprobs`, then `finish_reason`, each null when absent.
    mutating func encodeEnding<Logprobs: Encodable>(logprobs: Logprobs?, finishReason: String?) throws {
        try encodeNullable(logprobs, forKey: .logprobs)
        try encodeNullable(finishReason, forKey: .finishReason)
    }
}
