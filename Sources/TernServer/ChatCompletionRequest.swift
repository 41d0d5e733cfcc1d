import Tern

/// The body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    var messages: [Message]
    /// Chat log-probabilities: `logprobs: true` for the chosen tokens, `top_logprobs: k` (0–20) for alternatives.
    var logprobs: Bool?
    var topLogprobs: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case messages, logprobs
        case topLogprobs = "top_logprobs"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messages = try c.decode([Message].self, forKey: .messages)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        sampling = try SamplingFields(from: decoder)
    }

    /// One message; `content` is a string, an array of text parts, or null (an assistant turn
    /// that only called tools).
    struct Message: Decodable {
        var role: String
        var content: String

        enum CodingKeys: String, CodingKey { case role, content }

        struct Part: Decodable {
            var type: String
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            if try c.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? c.decode(String.self, forKey: .content) {
                content = text
            } else {
                let parts = try c.decode([Part].self, forKey: .content)
                var text = ""
                for (index, part) in parts.enumerated() {
                    guard part.type == "text", let piece = part.text else {
                        throw APIError.invalidRequest(
                            "Content part #\(index) has type '\(part.type)'; this model reads text parts only.",
                            param: RequestDecoding.path(decoder.codingPath + [CodingKeys.content]))
                    }
                    text += piece
                }
                content = text
            }
        }
    }

    /// The engine's log-probability setting: nil, 0 (chosen token) or k alternatives.
    func requestedLogprobs() throws(APIError) -> Int? {
        if let topLogprobs, !(0...20).contains(topLogprobs) {
            throw .invalidRequest("'top_logprobs' is \(topLogprobs), but it must be in 0...20.", param: "top_logprobs")
        }
        guard logprobs == true else {
            if let topLogprobs, topLogprobs > 0 {
                throw .invalidRequest("'top_logprobs' needs 'logprobs' set to true.", param: "top_logprobs")
            }
            return nil
        }
        return topLogprobs ?? 0
    }

    /// The conversation as chat templates see it. OpenAI's `developer` role is the newer name
    /// for `system`, which is what templates know.
    func chatMessages() throws(APIError) -> [ChatMessage] {
        if messages.isEmpty {
            throw .invalidRequest("'messages' is empty; send at least one message.", param: "messages")
        }
        let roles: Set = ["system", "developer", "user", "assistant", "tool"]
        return try messages.enumerated().map { (index, message) throws(APIError) in
            guard roles.contains(message.role) else {
                throw .invalidRequest(
                    "messages[\(index)].role is '\(message.role)'; use system, developer, user, assistant or tool.",
                    param: "messages[\(index)].role")
            }
            return ChatMessage(role: message.role == "developer" ? "system" : message.role, content: message.content)
        }
    }
}
