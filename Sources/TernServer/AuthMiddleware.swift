import Hummingbird

/// Requires `Authorization: Bearer <key>` on the API routes (`/v1/…`), as OpenAI does.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw APIError(
                status: .unauthorized,
                message: "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
                type: "invalid_request_error", code: "invalid_api_key")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.constantTimeEqual(header.dropFirst(prefix.count).utf8, apiKey.utf8) else {
            throw APIError(
                status: .unauthorized, message: "Incorrect API key provided.", type: "invalid_request_error",
                code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing does not reveal the key.
    static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
