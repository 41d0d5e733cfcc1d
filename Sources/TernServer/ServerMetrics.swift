import Prometheus
import Tern

/// The server's Prometheus metrics, in a registry of their own (no global state), written out
/// in Prometheus' text format by `GET /metrics`.
///
/// Counters and histograms are updated as requests finish; the engine gauges are read from
/// `GenerationService.snapshot()` at each scrape, so they are never stale.
public final class ServerMetrics: Sendable {
    /// The registry holding every metric below; add your own metrics to it to export them too.
    public let registry: PrometheusCollectorRegistry
    private let promptTokens: Counter
    private let generatedTokens: Counter
    private let runningSequences: Gauge
    private let waitingSequences: Gauge
    private let kvBlocksUsed: Gauge
    private let kvBlocksFree: Gauge
    private let prefixCacheHitRate: Gauge
    private let timeToFirstToken: DurationHistogram
    private let timePerOutputToken: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "tern", metricName: metric, unitName: unit, helpText: help)
        }
        promptTokens = registry.makeCounter(descriptor: name("prompt_tokens", "total", "Prompt tokens of finished requests."))
        generatedTokens = registry.makeCounter(
            descriptor: name("generation_tokens", "total", "Tokens generated for finished requests."))
        runningSequences = registry.makeGauge(descriptor: name("running_sequences", "", "Sequences being generated."))
        waitingSequences = registry.makeGauge(descriptor: name("waiting_sequences", "", "Sequences queued to start."))
        kvBlocksUsed = registry.makeGauge(descriptor: name("kv_blocks_used", "", "KV cache blocks holding live sequences."))
        kvBlocksFree = registry.makeGauge(descriptor: name("kv_blocks_free", "", "KV cache blocks free to allocate."))
        prefixCacheHitRate = registry.makeGauge(
            descriptor: name("prefix_cache_hit", "ratio", "Share of looked-up prompt tokens found in the prefix cache."))
        // Time to first token spans queueing and prefill: 10 ms to 1 min.
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: name("time_to_first_token", "seconds", "From submission to the first generated token."),
            buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { .milliseconds(Int64($0 * 1000)) })
        // One decode step on a CPU: 1 ms (tiny model, one sequence) to 1 s (big model, full batch).
        timePerOutputToken = registry.makeDurationHistogram(
            descriptor: name("time_per_output_token", "seconds", "Decode time per generated token after the first."),
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1].map { .microseconds(Int64($0 * 1e6)) })
    }

    /// Counts one answered HTTP request.
    func countRequest(status: Int) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "tern", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests answered, by status code."),
            labels: [("status", String(status))]
        ).increment()
    }

    /// Records a finished generation (one choice).
    func record(_ summary: GenerationSummary) {
        generatedTokens.increment(by: Int64(summary.generatedTokens))
        if let ttft = summary.timeToFirstToken { timeToFirstToken.record(ttft) }
        if summary.generatedTokens > 1 {
            timePerOutputToken.record(summary.decodeTime / (summary.generatedTokens - 1))
        }
    }

    /// Counts the prompt of one request once, however many choices it asked for.
    func countPrompt(tokens: Int) {
        promptTokens.increment(by: Int64(tokens))
    }

    /// The Prometheus text exposition, with the engine gauges read from `snapshot` first.
    func render(snapshot: EngineSnapshot) -> [UInt8] {
        runningSequences.set(Int64(snapshot.runningSequences))
        waitingSequences.set(Int64(snapshot.waitingSequences))
        kvBlocksUsed.set(Int64(snapshot.kvBlocksUsed))
        kvBlocksFree.set(Int64(snapshot.kvBlocksFree))
        let queried = snapshot.prefixCacheQueriedTokens
        prefixCacheHitRate.set(queried > 0 ? Double(snapshot.prefixCacheHitTokens) / Double(queried) : 0)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
