import Tern

/// The body of `POST /v1/completions` (the legacy text-completion API).
struct CompletionRequest: Decodable {
    var prompt: PromptInput
    /// Completions log-probabilities: an integer k (0–5) of alternatives to list per token.
    var logprobs: Int?
    var echo: Bool?
    var suffix: String?
    var bestOf: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case prompt, logprobs, echo, suffix
        case bestOf = "best_of"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try c.decode(PromptInput.self, forKey: .prompt)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        suffix = try c.decodeIfPresent(String.self, forKey: .suffix)
        bestOf = try c.decodeIfPresent(Int.self, forKey: .bestOf)
        sampling = try SamplingFields(from: decoder)
    }

    /// Rejects options this server does not implement, rather than ignoring them silently.
    func validateUnsupported() throws(APIError) {
        if echo == true { throw .invalidRequest("'echo' is not supported by this server.", param: "echo") }
        if let suffix, !suffix.isEmpty {
            throw .invalidRequest("'suffix' is not supported by this server.", param: "suffix")
        }
        if let bestOf, bestOf != 1 && bestOf != (sampling.n ?? 1) {
            throw .invalidRequest("'best_of' is not supported by this server; use 'n'.", param: "best_of")
        }
        if let logprobs, !(0...5).contains(logprobs) {
            throw .invalidRequest("'logprobs' is \(logprobs), but it must be in 0...5.", param: "logprobs")
        }
    }
}

/// `prompt`: a string, an array of strings, an array of token ids, or an array of such arrays.
/// Each prompt of an array gets its own `n` choices.
enum PromptInput: Decodable {
    case texts([String])
    case tokens([[Int]])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .texts([text])
        } else if let texts = try? container.decode([String].self) {
            self = .texts(texts)
        } else if let tokens = try? container.decode([Int].self) {
            self = .tokens([tokens])
        } else {
            self = .tokens(try container.decode([[Int]].self))
        }
    }

    /// Tokenized prompts, in order.
    func tokenized(with tokenizer: Tokenizer) throws(APIError) -> [[Int]] {
        let prompts: [[Int]]
        switch self {
        case let .texts(texts):
            // Special-token text in a raw prompt is meant literally as those tokens, as in llama.cpp's server.
            prompts = texts.map { tokenizer.encode($0, addSpecial: true, parseSpecial: true) }
        case let .tokens(lists):
            for (index, list) in lists.enumerated() {
                if let bad = list.first(where: { !(0..<tokenizer.vocabularySize).contains($0) }) {
                    throw .invalidRequest(
                        "Token id \(bad) in prompt #\(index) is outside the vocabulary (0..<\(tokenizer.vocabularySize)).",
                        param: "prompt")
                }
            }
            prompts = lists
        }
        if prompts.isEmpty { throw .invalidRequest("'prompt' is an empty array; send at least one prompt.", param: "prompt") }
        return prompts
    }
}
