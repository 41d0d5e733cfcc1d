import Hummingbird
import NIOCore

/// Turns every error below it into an OpenAI-shaped response, so no failure reaches the
/// client as Hummingbird's plain-text default (or as a dropped connection).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.apiError(for: error, request: request).response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case is CancellationError:
            // The client closed the connection before the response (nginx's 499); it reads nothing.
            return APIError(
                status: .init(code: 499, reasonPhrase: "Client Closed Request"),
                message: "The client closed the connection before the response was ready.", type: "invalid_request_error")
        case is NIOTooManyBytesError:
            return APIError(
                status: .contentTooLarge, message: "The request body is larger than the server accepts; send a smaller body.",
                type: "invalid_request_error", code: "request_too_large")
        case let error as HTTPError where error.status == .notFound:
            return APIError(
                status: .notFound, message: "Unknown route: \(request.method) \(request.uri.path).",
                type: "invalid_request_error", code: "not_found")
        case let error as HTTPError:
            return APIError(
                status: error.status, message: error.body ?? error.status.reasonPhrase,
                type: error.status.code < 500 ? "invalid_request_error" : "server_error")
        default:
            return APIError(
                status: .internalServerError, message: "The server failed to answer: \(error)", type: "server_error")
        }
    }
}
