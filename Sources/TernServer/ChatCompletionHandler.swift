import Hummingbird
import Tern

/// `POST /v1/chat/completions`: renders the conversation with the model's chat template,
/// generates `n` replies, and answers with one JSON object or a stream of chunks.
struct ChatCompletionHandler: Sendable {
    let gateway: GenerationGateway

    func handle(_ request: Request) async throws -> Response {
        var request = request
        let service = gateway.service
        let body = try await gateway.decode(ChatCompletionRequest.self, from: &request)
        let fields = body.sampling
        let topLogprobs = try body.requestedLogprobs()
        let prompt = try promptTokens(for: body.chatMessages())
        // Without a limit a reply may use the rest of the context, as OpenAI's chat API allows.
        let defaultMaxTokens = max(1, service.contextLength - prompt.count)
        let n = fields.n ?? 1
        let requests = try (0..<n).map { (choice) throws(APIError) in
            GenerationRequest(
                promptTokens: prompt, params: try gateway.params(fields, defaultMaxTokens: defaultMaxTokens, choice: choice),
                topLogprobs: topLogprobs, ignoresEndOfGeneration: fields.ignoresEndOfGeneration)
        }
        let lease = try gateway.start(requests, promptParam: "messages")
        gateway.metrics.countPrompt(tokens: prompt.count)
        let reply = Reply(
            id: GenerationGateway.makeID(prefix: "chatcmpl-"), created: GenerationGateway.timestamp(),
            model: service.modelName, choices: n, promptTokens: prompt.count, wantsLogprobs: topLogprobs != nil,
            logprobs: LogprobFormatting(tokenizer: service.tokenizer))
        return try await gateway.respond(to: request, fields: fields, lease: lease, reply: reply)
    }

    /// The prompt: the template's text for the conversation, with a reply header, tokenized
    /// the way `tern chat` does it.
    private func promptTokens(for messages: [ChatMessage]) throws(APIError) -> [Int] {
        let tokenizer = gateway.service.tokenizer
        let text: String
        do {
            text = try gateway.service.chatTemplate.render(
                messages: messages, addGenerationPrompt: true,
                bosToken: tokenizer.bosToken.map(tokenizer.tokenText) ?? "",
                eosToken: tokenizer.eosToken.map(tokenizer.tokenText) ?? "")
        } catch {
            throw .invalidRequest("The model's chat template rejected the conversation: \(error)", param: "messages")
        }
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }

    /// The fixed parts of one reply and how to write it.
    struct Reply: Sendable {
        let id: String
        let created: Int
        let model: String
        let choices: Int
        let promptTokens: Int
        let wantsLogprobs: Bool
        let logprobs: LogprobFormatting

        func chunk(_ choices: [ChatCompletionDelta], usage: Usage? = nil) -> ChatCompletionChunk {
            ChatCompletionChunk(id: id, created: created, model: model, choices: choices, usage: usage)
        }

        func stream(
            _ lease: GenerationLease, gateway: GenerationGateway, includeUsage: Bool, to events: inout EventStreamWriter
        ) async throws {
            for index in 0..<choices {
                try await events.send(chunk([.init(index: index, role: "assistant", content: "")]))
            }
            var usage = Usage(promptTokens: promptTokens)
            try await gateway.consume(lease, promptTokens: Array(repeating: promptTokens, count: choices)) { event in
                switch event {
                case let .token(index, token):
                    guard !token.text.isEmpty || wantsLogprobs else { return }
                    let entry = wantsLogprobs ? ChatLogprobs(content: [logprobs.chatEntry(token)]) : nil
                    try await events.send(chunk([.init(index: index, content: token.text, logprobs: entry)]))
                case let .finished(index, summary):
                    usage.completionTokens += summary.generatedTokens
                    if index == 0 { usage.cachedTokens = summary.cachedPromptTokens }
                    let reason = GenerationGateway.finishReason(summary.finishReason)
                    try await events.send(chunk([.init(index: index, finishReason: reason)]))
                }
            }
            if includeUsage { try await events.send(chunk([], usage: usage)) }
            try await events.sendDone()
        }

        func collect(_ lease: GenerationLease, gateway: GenerationGateway) async throws -> Response {
            var texts = [String](repeating: "", count: choices)
            var entries = [[ChatLogprobs.Entry]](repeating: [], count: choices)
            var reasons = [String](repeating: "stop", count: choices)
            var usage = Usage(promptTokens: promptTokens)
            try await gateway.consume(lease, promptTokens: Array(repeating: promptTokens, count: choices)) { event in
                switch event {
                case let .token(index, token):
                    texts[index] += token.text
                    if wantsLogprobs { entries[index].append(logprobs.chatEntry(token)) }
                case let .finished(index, summary):
                    usage.completionTokens += summary.generatedTokens
                    if index == 0 { usage.cachedTokens = summary.cachedPromptTokens }
                    reasons[index] = GenerationGateway.finishReason(summary.finishReason)
                }
            }
            let completion = ChatCompletion(
                id: id, created: created, model: model,
                choices: (0..<choices).map {
                    .init(
                        index: $0, content: texts[$0], logprobs: wantsLogprobs ? ChatLogprobs(content: entries[$0]) : nil,
                        finishReason: reasons[$0])
                },
                usage: usage)
            return try JSONResponse.make(completion)
        }
    }
}
