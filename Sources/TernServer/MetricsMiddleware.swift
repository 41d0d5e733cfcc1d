import Hummingbird

/// Counts every answered request by status code, errors included (it sits outside `ErrorMiddleware`).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.countRequest(status: response.status.code)
            return response
        } catch {
            metrics.countRequest(status: ErrorMiddleware<Context>.apiError(for: error, request: request).status.code)
            throw error
        }
    }
}
