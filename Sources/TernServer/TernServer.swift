import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Tern
import UnixSignals

/// Tern's OpenAI-compatible HTTP server: `GET /v1/models`, `POST /v1/completions`,
/// `POST /v1/chat/completions`, `GET /health` and `GET /metrics`, in front of any
/// `GenerationService`.
///
/// ```swift
/// let server = TernServer(service: engine, configuration: try ServerConfiguration(port: 8080))
/// try await server.run()  // until SIGINT or SIGTERM; in-flight requests finish first
/// ```
///
/// The server never touches the model: prompts are tokenized with the service's tokenizer and
/// chat template, and generation happens behind `GenerationService.submit`.
public struct TernServer: Sendable {
    public let service: any GenerationService
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    public let logger: Logger
    private let limiter: ConcurrencyLimiter

    /// - Parameters:
    ///   - service: The engine (or a stand-in) that generates.
    ///   - configuration: Address, limits and defaults.
    ///   - metrics: Where to count; pass your own to share its registry.
    ///   - logger: The server's logger (default label `tern.server`).
    public init(
        service: any GenerationService, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger = Logger(label: "tern.server")
    ) {
        self.service = service
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
    }

    /// The routes, with error shaping, request metrics and (with an API key) authentication.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // Order matters: middlewares wrap the routes added after them, outermost first.
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        if let apiKey = configuration.apiKey { router.add(middleware: AuthMiddleware(apiKey: apiKey)) }

        let gateway = GenerationGateway(service: service, configuration: configuration, metrics: metrics, limiter: limiter)
        let chat = ChatCompletionHandler(gateway: gateway)
        let completions = CompletionHandler(gateway: gateway)
        let models = ModelList(data: [
            .init(id: service.modelName, created: GenerationGateway.timestamp(), max_model_len: service.contextLength)
        ])
        router.get("/v1/models") { _, _ in try JSONResponse.make(models) }
        router.post("/v1/chat/completions") { request, _ in try await chat.handle(request) }
        router.post("/v1/completions") { request, _ in try await completions.handle(request) }
        router.get("/health") { [service] _, _ in
            let snapshot = service.snapshot()
            return try JSONResponse.make(
                Health(
                    model: service.modelName, running: snapshot.runningSequences, waiting: snapshot.waitingSequences))
        }
        router.get("/metrics") { [service, metrics] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render(snapshot: service.snapshot()))))
        }
        return router
    }

    /// The Hummingbird application serving `makeRouter()` on the configured address.
    /// - Parameter onServerRunning: Called once listening, with the bound port (useful with port 0).
    public func makeApplication(
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> Application<RouterResponder<BasicRequestContext>> {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "tern"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM. Then it stops accepting connections, lets in-flight
    /// requests finish for up to `configuration.shutdownDeadline`, cancels (and so aborts)
    /// whatever still runs, and returns. Stop the engine after this returns.
    /// - Parameter onServerRunning: Called once listening, with the bound port.
    public func run(onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        try await makeServiceGroup(gracefulShutdownSignals: [.sigterm, .sigint], onServerRunning: onServerRunning).run()
    }

    /// The service group `run()` runs, for embedding the server beside other services or
    /// shutting it down without a signal (`triggerGracefulShutdown()`).
    /// - Parameters:
    ///   - gracefulShutdownSignals: Signals that begin a graceful shutdown.
    ///   - onServerRunning: Called once listening, with the bound port.
    public func makeServiceGroup(
        gracefulShutdownSignals: [UnixSignal], onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> ServiceGroup {
        var group = ServiceGroupConfiguration(
            services: [makeApplication(onServerRunning: onServerRunning)], gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownDeadline
        return ServiceGroup(configuration: group)
    }
}

/// `GET /health`.
private struct Health: Encodable {
    var status = "ok"
    let model: String
    let running: Int
    let waiting: Int
}
