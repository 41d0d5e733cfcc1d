import Foundation
import Hummingbird
import Tern

/// An error answered in OpenAI's shape:
/// `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
///
/// Every failure the server reports goes through this type, so clients such as the official
/// `openai` package raise their usual exception classes (`BadRequestError`, `RateLimitError`, …).
public struct APIError: HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's error family: `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`.
    public var type: String
    /// The request field at fault, in the API's spelling (`max_tokens`, `messages[0].content`).
    public var param: String?
    /// A machine-readable reason, such as `context_length_exceeded` or `model_not_found`.
    public var code: String?
    /// Seconds to wait before retrying, sent as `Retry-After`.
    public var retryAfter: Int?

    public init(
        status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil,
        retryAfter: Int? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    /// A 400 for a request that cannot be served as written.
    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unknownModel(_ name: String, served: String) -> APIError {
        .invalidRequest(
            "The model '\(name)' does not exist on this server; it serves '\(served)' (see GET /v1/models).",
            param: "model", code: "model_not_found")
    }

    /// A 429: the client should retry after `retryAfter` seconds.
    static func serverBusy(_ message: String, retryAfter: Int) -> APIError {
        APIError(
            status: .tooManyRequests, message: message, type: "rate_limit_error", code: "rate_limit_exceeded",
            retryAfter: retryAfter)
    }

    /// The answer when a request cannot start in the engine.
    static func from(_ error: GenerationError, promptParam: String, retryAfter: Int) -> APIError {
        switch error {
        case .emptyPrompt:
            return .invalidRequest("The prompt is empty; send at least one token of text.", param: promptParam)
        case let .promptTooLong(tokens, contextLength):
            return .invalidRequest(
                "This model's maximum context length is \(contextLength) tokens, but the prompt has \(tokens) tokens. Shorten the prompt.",
                param: promptParam, code: "context_length_exceeded")
        case let .queueFull(waiting):
            return .serverBusy("The server is busy (\(waiting) requests waiting); retry shortly.", retryAfter: retryAfter)
        case let .invalidParameters(sampling):
            return .invalidRequest(sampling.description, param: APIError.apiName(of: sampling))
        case .invalidToken:
            return .invalidRequest(error.description, param: promptParam)
        case .invalidLogprobs:
            return .invalidRequest(error.description, param: "top_logprobs")
        case .shuttingDown:
            return APIError(
                status: .serviceUnavailable, message: "The server is shutting down and takes no new requests.",
                type: "server_error", code: "service_unavailable")
        }
    }

    /// The API's name of the field a sampling error is about (`topK` → `top_k`).
    private static func apiName(of error: SamplingError) -> String {
        switch error {
        case .emptyStopString: return "stop"
        case let .outOfRange(field, _, _):
            let names = [
                "topK": "top_k", "topP": "top_p", "minP": "min_p", "maxTokens": "max_tokens",
                "presencePenalty": "presence_penalty", "frequencyPenalty": "frequency_penalty",
                "repetitionPenalty": "repetition_penalty",
            ]
            return names[field] ?? field
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON body, with explicit nulls as OpenAI sends them.
    var body: [UInt8] {
        struct Envelope: Encodable {
            let error: Detail
        }
        struct Detail: Encodable {
            let message: String
            let type: String
            let param: String?
            let code: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param)
                try c.encode(code, forKey: .code)
            }
            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        let envelope = Envelope(error: Detail(message: message, type: type, param: param, code: code))
        // Encoding strings cannot fail.
        return Array((try? JSONEncoder().encode(envelope)) ?? Data())
    }
}
