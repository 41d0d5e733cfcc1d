import Hummingbird
import Tern

/// `POST /v1/completions`: continues raw prompts (text or token ids). With several prompts,
/// choice `p × n + i` is the i-th completion of prompt p, as in OpenAI's API.
struct CompletionHandler: Sendable {
    let gateway: GenerationGateway
    /// OpenAI's default `max_tokens` for text completions.
    static let defaultMaxTokens = 16

    func handle(_ request: Request) async throws -> Response {
        var request = request
        let service = gateway.service
        let body = try await gateway.decode(CompletionRequest.self, from: &request)
        let fields = body.sampling
        try body.validateUnsupported()
        let prompts = try body.prompt.tokenized(with: service.tokenizer)
        let n = fields.n ?? 1
        guard prompts.count * n <= gateway.configuration.maxChoices else {
            throw APIError.invalidRequest(
                "\(prompts.count) prompts × n = \(n) asks for \(prompts.count * n) completions; at most \(gateway.configuration.maxChoices) are allowed.",
                param: "prompt")
        }
        var requests: [GenerationRequest] = []
        for prompt in prompts {
            for choice in 0..<n {
                let params = try gateway.params(fields, defaultMaxTokens: Self.defaultMaxTokens, choice: choice)
                requests.append(
                    GenerationRequest(
                        promptTokens: prompt, params: params, topLogprobs: body.logprobs,
                        ignoresEndOfGeneration: fields.ignoresEndOfGeneration))
            }
        }
        let lease = try gateway.start(requests, promptParam: "prompt")
        for prompt in prompts { gateway.metrics.countPrompt(tokens: prompt.count) }
        let reply = Reply(
            id: GenerationGateway.makeID(prefix: "cmpl-"), created: GenerationGateway.timestamp(),
            model: service.modelName, choicesPerPrompt: n, promptTokens: requests.map(\.promptTokens.count),
            logprobs: body.logprobs, formatting: LogprobFormatting(tokenizer: service.tokenizer))
        return try await gateway.respond(to: request, fields: fields, lease: lease, reply: reply)
    }

    /// The fixed parts of one reply and how to write it.
    struct Reply: Sendable {
        let id: String
        let created: Int
        let model: String
        let choicesPerPrompt: Int
        /// Prompt length of each choice.
        let promptTokens: [Int]
        /// The request's `logprobs`: nil for none, k for the chosen token and k alternatives.
        let logprobs: Int?
        let formatting: LogprobFormatting

        var choiceCount: Int { promptTokens.count }

        /// Usage so far: each prompt counted once, cached tokens from its first choice.
        func usage(generated: Int, cached: [Int]) -> Usage {
            let firstChoices = stride(from: 0, to: choiceCount, by: choicesPerPrompt)
            return Usage(
                promptTokens: firstChoices.reduce(0) { $0 + promptTokens[$1] }, completionTokens: generated,
                cachedTokens: firstChoices.reduce(0) { $0 + cached[$1] })
        }

        func chunk(_ choices: [TextCompletionChoice], usage: Usage? = nil) -> TextCompletion {
            TextCompletion(id: id, created: created, model: model, choices: choices, usage: usage)
        }

        func stream(
            _ lease: GenerationLease, gateway: GenerationGateway, includeUsage: Bool, to events: inout EventStreamWriter
        ) async throws {
            var offsets = [Int](repeating: 0, count: choiceCount)
            var cached = [Int](repeating: 0, count: choiceCount)
            var generated = 0
            try await gateway.consume(lease, promptTokens: promptTokens) { event in
                switch event {
                case let .token(index, token):
                    guard !token.text.isEmpty || logprobs != nil else { return }
                    var choice = TextCompletionChoice(index: index, text: token.text)
                    if let logprobs {
                        var entry = TextLogprobs()
                        formatting.append(token, offset: offsets[index], alternatives: logprobs > 0, to: &entry)
                        choice.logprobs = entry
                    }
                    offsets[index] += token.text.unicodeScalars.count
                    try await events.send(chunk([choice]))
                case let .finished(index, summary):
                    generated += summary.generatedTokens
                    cached[index] = summary.cachedPromptTokens
                    let reason = GenerationGateway.finishReason(summary.finishReason)
                    try await events.send(chunk([.init(index: index, text: "", finishReason: reason)]))
                }
            }
            if includeUsage { try await events.send(chunk([], usage: usage(generated: generated, cached: cached))) }
            try await events.sendDone()
        }

        func collect(_ lease: GenerationLease, gateway: GenerationGateway) async throws -> Response {
            var texts = [String](repeating: "", count: choiceCount)
            var entries = [TextLogprobs](repeating: TextLogprobs(), count: choiceCount)
            var reasons = [String](repeating: "stop", count: choiceCount)
            var cached = [Int](repeating: 0, count: choiceCount)
            var generated = 0
            try await gateway.consume(lease, promptTokens: promptTokens) { event in
                switch event {
                case let .token(index, token):
                    if let logprobs {
                        formatting.append(
                            token, offset: texts[index].unicodeScalars.count, alternatives: logprobs > 0, to: &entries[index])
                    }
                    texts[index] += token.text
                case let .finished(index, summary):
                    generated += summary.generatedTokens
                    cached[index] = summary.cachedPromptTokens
                    reasons[index] = GenerationGateway.finishReason(summary.finishReason)
                }
            }
            let completion = TextCompletion(
                id: id, created: created, model: model,
                choices: (0..<choiceCount).map {
                    .init(
                        index: $0, text: texts[$0], logprobs: logprobs != nil ? entries[$0] : nil, finishReason: reasons[$0])
                },
                usage: usage(generated: generated, cached: cached))
            return try JSONResponse.make(completion)
        }
    }
}
