import Hummingbird

/// A completion request body of either endpoint: both carry the same sampling fields.
protocol SamplingRequest: Decodable {
    var sampling: SamplingFields { get }
}

extension ChatCompletionRequest: SamplingRequest {}
extension CompletionRequest: SamplingRequest {}

/// One endpoint's reply to a request whose generations have started: written as a stream of
/// chunks, or collected into one JSON object.
protocol CompletionReply: Sendable {
    func stream(
        _ lease: GenerationLease, gateway: GenerationGateway, includeUsage: Bool, to events: inout EventStreamWriter
    ) async throws
    func collect(_ lease: GenerationLease, gateway: GenerationGateway) async throws -> Response
}

extension ChatCompletionHandler.Reply: CompletionReply {}
extension CompletionHandler.Reply: CompletionReply {}

/// What both completion endpoints do around their own work: read and check the body first,
/// answer in the form the request asked for last.
extension GenerationGateway {
    /// The request's body (see `RequestDecoding`), its sampling fields checked against the
    /// served model, the server's choice limit and the context length.
    func decode<Body: SamplingRequest>(_ type: Body.Type, from request: inout Request) async throws -> Body {
        let body = try await RequestDecoding.decode(type, from: &request, limit: configuration.maxBodyBytes)
        try body.sampling.validate(
            servedModel: service.modelName, maxChoices: configuration.maxChoices, contextLength: service.contextLength)
        return body
    }

    /// Answers with `reply`: server-sent events when `fields` ask for a stream, else one JSON object.
    func respond(
        to request: Request, fields: SamplingFields, lease: GenerationLease, reply: some CompletionReply
    ) async throws -> Response {
        if fields.stream == true {
            let includeUsage = fields.wantsUsageInStream
            return Self.eventStream(request: request) { [self] events in
                try await reply.stream(lease, gateway: self, includeUsage: includeUsage, to: &events)
            }
        }
        return try await Self.wholeReply(request: request) { [self] in
            try await reply.collect(lease, gateway: self)
        }
    }
}
