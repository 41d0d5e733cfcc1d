import Tern

/// The request fields that chat and text completions share, as OpenAI names them, plus
/// `top_k`, `min_p`, `repetition_penalty` and `ignore_eos` as vLLM and llama.cpp's server accept them.
struct SamplingFields: Decodable {
    var model: String?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var minP: Float?
    var repetitionPenalty: Float?
    var presencePenalty: Float?
    var frequencyPenalty: Float?
    /// Any integer; negative seeds are taken by their bit pattern.
    var seed: Int64?
    var stop: StopSequences?
    /// Keep generating past end-of-generation tokens up to the token limit (for benchmarks).
    var ignoreEOS: Bool?

    enum CodingKeys: String, CodingKey {
        case model, stream, n, temperature, seed, stop
        case streamOptions = "stream_options"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case ignoreEOS = "ignore_eos"
    }

    /// `ignore_eos`, false when left out.
    var ignoresEndOfGeneration: Bool { ignoreEOS ?? false }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    var wantsUsageInStream: Bool { streamOptions?.includeUsage ?? false }

    /// Checks the fields that do not depend on the prompt.
    func validate(servedModel: String, maxChoices: Int, contextLength: Int) throws(APIError) {
        if let model, model != servedModel { throw .unknownModel(model, served: servedModel) }
        if let n, !(1...maxChoices).contains(n) {
            throw .invalidRequest("'n' is \(n), but it must be in 1...\(maxChoices).", param: "n")
        }
        for (value, name) in [(maxTokens, "max_tokens"), (maxCompletionTokens, "max_completion_tokens")] {
            guard let value else { continue }
            if value < 1 { throw .invalidRequest("'\(name)' is \(value), but it must be at least 1.", param: name) }
            if value > contextLength {
                throw .invalidRequest(
                    "'\(name)' is \(value), but this model's context holds only \(contextLength) tokens; ask for fewer.",
                    param: name)
            }
        }
        if let stop, stop.values.count > 16 {
            throw .invalidRequest("'stop' has \(stop.values.count) strings; send at most 16.", param: "stop")
        }
    }

    /// The engine's parameters for choice `index`: fields left out take `defaults`; with a seed,
    /// each choice gets its own (seed + index), so choices differ yet repeat run to run.
    func params(defaults: SamplingParams, defaultMaxTokens: Int, choice index: Int) -> SamplingParams {
        var params = defaults
        if let temperature { params.temperature = temperature }
        if let topP { params.topP = topP }
        if let topK { params.topK = topK }
        if let minP { params.minP = minP }
        if let repetitionPenalty { params.repetitionPenalty = repetitionPenalty }
        if let presencePenalty { params.presencePenalty = presencePenalty }
        if let frequencyPenalty { params.frequencyPenalty = frequencyPenalty }
        if let seed { params.seed = UInt64(bitPattern: seed) &+ UInt64(index) }
        params.maxTokens = maxCompletionTokens ?? maxTokens ?? defaultMaxTokens
        params.stop = stop?.values ?? []
        return params
    }
}

/// `stop`: one string or an array of strings.
struct StopSequences: Decodable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            values = [single]
        } else {
            values = try container.decode([String].self)
        }
    }
}
