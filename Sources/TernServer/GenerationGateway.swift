import Foundation
import Hummingbird
import Tern

/// What both completion endpoints share: checking parameters, starting generations under the
/// concurrency limit, mapping engine refusals to HTTP errors, and writing server-sent events.
struct GenerationGateway: Sendable {
    let service: any GenerationService
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let limiter: ConcurrencyLimiter

    /// Sampling parameters for choice `index`, checked against the engine's ranges.
    func params(_ fields: SamplingFields, defaultMaxTokens: Int, choice index: Int) throws(APIError) -> SamplingParams {
        do {
            return try fields.params(
                defaults: configuration.defaultParams, defaultMaxTokens: defaultMaxTokens, choice: index
            ).validated()
        } catch {
            throw APIError.from(.invalidParameters(error), promptParam: "", retryAfter: 0)
        }
    }

    /// Starts every choice, or none: a 429 when the server is full, the engine's refusal otherwise.
    func start(_ requests: [GenerationRequest], promptParam: String) throws(APIError) -> GenerationLease {
        guard limiter.tryAcquire() else {
            throw .serverBusy(
                "The server is busy: it is already generating for \(limiter.limit ?? 0) requests; retry shortly.",
                retryAfter: configuration.retryAfterSeconds)
        }
        do {
            let streams = try GenerationRun.start(requests, on: service)
            return GenerationLease(streams: streams, release: { [limiter] in limiter.release() })
        } catch {
            limiter.release()
            throw APIError.from(error, promptParam: promptParam, retryAfter: configuration.retryAfterSeconds)
        }
    }

    /// Reads every choice of `lease` to the end, recording metrics as choices finish.
    func consume(
        _ lease: GenerationLease, promptTokens: [Int], body: (ChoiceEvent) async throws -> Void
    ) async throws {
        defer { lease.end() }
        try await GenerationRun.consume(lease.take(), promptTokens: promptTokens, timeout: configuration.requestTimeout) {
            event in
            if case let .finished(_, summary) = event { metrics.record(summary) }
            try await body(event)
        }
    }

    /// A `text/event-stream` response whose events `produce` writes. When the client closes the
    /// connection, `produce` is cancelled, which aborts its generations, even while no token
    /// is being written (queued, prefilling). Watching the connection this way ends it after
    /// the response, so the response says `Connection: close` and clients open a new one.
    static func eventStream(
        request: Request,
        produce: @escaping @Sendable (inout EventStreamWriter) async throws -> Void
    ) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"],
            body: ResponseBody { writer in
                var events = EventStreamWriter(writer: writer)
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await produce(&events)
                }
                try await events.finish()
            })
    }

    /// A whole (not streamed) reply that `collect` makes. When the client closes the connection
    /// first, `collect` is cancelled, which aborts its generations: nobody is left to read them.
    /// As with `eventStream`, watching the connection ends it after the response, so the
    /// response says `Connection: close`.
    static func wholeReply(
        request: Request, collect: @escaping @Sendable () async throws -> Response
    ) async throws -> Response {
        var response = try await request.body.consumeWithCancellationOnInboundClose { _ in try await collect() }
        response.headers[.connection] = "close"
        return response
    }

    /// `created`: seconds since 1970, as OpenAI stamps responses.
    static func timestamp() -> Int { Int(Date().timeIntervalSince1970) }

    /// `prefix` + 24 random hexadecimal digits, like OpenAI's ids.
    static func makeID(prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    /// OpenAI's `finish_reason`: end-of-generation and stop strings are both "stop".
    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .endOfGeneration, .stopString, .cancelled: "stop"
        case .length: "length"
        }
    }
}

/// Writes server-sent events: `data: <json>\n\n` per event, and `data: [DONE]\n\n` last.
struct EventStreamWriter {
    private var writer: any ResponseBodyWriter
    private let encoder = JSONEncoder()

    init(writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    mutating func send(_ event: some Encodable) async throws {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try encoder.encode(event))
        buffer.writeString("\n\n")
        try await writer.write(buffer)
    }

    mutating func sendDone() async throws {
        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
    }

    consuming func finish() async throws {
        try await writer.finish(nil)
    }
}
