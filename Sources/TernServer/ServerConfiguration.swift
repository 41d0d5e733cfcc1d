import Tern

/// How the HTTP server listens and what it allows. Checked once, in `init`.
public struct ServerConfiguration: Sendable {
    /// Address to bind; 127.0.0.1 keeps the server local, 0.0.0.0 opens it to the network.
    public let host: String
    /// TCP port; 0 lets the system pick a free one (tests).
    public let port: Int
    /// When set, every `/v1/…` request needs `Authorization: Bearer <apiKey>`.
    /// `/health` and `/metrics` stay open, as probes and scrapers expect.
    public let apiKey: String?
    /// Largest request body accepted; bigger bodies get 413 with an OpenAI-shaped error.
    public let maxBodyBytes: Int
    /// Requests generating at once (all their choices count as one); more get 429. nil: no
    /// limit here, the engine's queue decides.
    public let maxConcurrentRequests: Int?
    /// Largest `n` (choices per prompt) a request may ask for.
    public let maxChoices: Int
    /// Seconds a client is told to wait (`Retry-After`) when the server is full.
    public let retryAfterSeconds: Int
    /// A request still generating after this long is stopped; its unfinished choices end
    /// with `finish_reason: "length"`. nil: no limit.
    public let requestTimeout: Duration?
    /// After SIGINT or SIGTERM, how long in-flight requests may run before they are cancelled.
    public let shutdownDeadline: Duration
    /// Sampling used for fields a request leaves out (temperature, top_k, top_p, min_p, …).
    /// OpenAI's own defaults (temperature 1, no filters) give poor text on small models, so the
    /// server uses Tern's, as `llama-server` uses llama.cpp's.
    public let defaultParams: SamplingParams

    /// - Parameters:
    ///   - host: Address to bind (default 127.0.0.1).
    ///   - port: TCP port (default 8080; 0 picks a free one).
    ///   - apiKey: Bearer token required on `/v1/…` routes; nil for none.
    ///   - maxBodyBytes: Largest request body (default 4 MiB).
    ///   - maxConcurrentRequests: Requests generating at once before 429; nil for no limit.
    ///   - maxChoices: Largest `n` (default 16).
    ///   - retryAfterSeconds: `Retry-After` on 429 (default 1).
    ///   - requestTimeout: Longest a request may generate; nil for no limit.
    ///   - shutdownDeadline: Grace period for in-flight requests at shutdown (default 30 s).
    ///   - defaultParams: Sampling for fields a request leaves out.
    /// - Throws: `ServerConfigurationError` naming the first value out of range.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        apiKey: String? = nil,
        maxBodyBytes: Int = 4 << 20,
        maxConcurrentRequests: Int? = nil,
        maxChoices: Int = 16,
        retryAfterSeconds: Int = 1,
        requestTimeout: Duration? = nil,
        shutdownDeadline: Duration = .seconds(30),
        defaultParams: SamplingParams = SamplingParams()
    ) throws(ServerConfigurationError) {
        func check(_ ok: Bool, _ field: String, _ value: some CustomStringConvertible, _ allowed: String)
            throws(ServerConfigurationError)
        {
            if !ok { throw .outOfRange(field: field, value: value.description, allowed: allowed) }
        }
        try check(!host.isEmpty, "host", "\"\"", "an address such as 127.0.0.1 or 0.0.0.0")
        try check((0...65535).contains(port), "port", port, "in 0...65535")
        try check(apiKey.map { !$0.isEmpty } ?? true, "apiKey", "\"\"", "a non-empty string, or none")
        try check(maxBodyBytes >= 1024, "maxBodyBytes", maxBodyBytes, "≥ 1024")
        try check((maxConcurrentRequests ?? 1) >= 1, "maxConcurrentRequests", maxConcurrentRequests ?? 0, "≥ 1")
        try check(maxChoices >= 1, "maxChoices", maxChoices, "≥ 1")
        try check(retryAfterSeconds >= 0, "retryAfterSeconds", retryAfterSeconds, "≥ 0")
        try check((requestTimeout ?? .seconds(1)) > .zero, "requestTimeout", requestTimeout ?? .zero, "> 0")
        try check(shutdownDeadline >= .zero, "shutdownDeadline", shutdownDeadline, "≥ 0")
        do {
            _ = try defaultParams.validated()
        } catch {
            throw .invalidDefaultParams(error)
        }
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxChoices = maxChoices
        self.retryAfterSeconds = retryAfterSeconds
        self.requestTimeout = requestTimeout
        self.shutdownDeadline = shutdownDeadline
        self.defaultParams = defaultParams
    }
}

/// A server setting that cannot be used.
public enum ServerConfigurationError: Error, Equatable, CustomStringConvertible {
    case outOfRange(field: String, value: String, allowed: String)
    case invalidDefaultParams(SamplingError)

    public var description: String {
        switch self {
        case let .outOfRange(field, value, allowed):
            "server setting '\(field)' is \(value), but it must be \(allowed)."
        case let .invalidDefaultParams(error): "default sampling parameters: \(error)"
        }
    }
}
