import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

@Suite("GET routes, authentication and metrics")
struct RouteTests {
    @Test("GET /v1/models lists the served model")
    func models() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.get("/v1/models")
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["object"].string == "list")
            #expect(json["data"].array?.count == 1)
            #expect(json["data"][0]["id"].string == "smollm2-test")
            #expect(json["data"][0]["object"].string == "model")
            #expect(json["data"][0]["owned_by"].string == "tern")
            #expect(json["data"][0]["created"].int != nil)
            #expect(json["data"][0]["max_model_len"].int == 256)
        }
    }

    @Test("GET /health answers ok with the engine's counts")
    func health() async throws {
        let harness = try ServerHarness()
        var snapshot = EngineSnapshot()
        snapshot.runningSequences = 3
        harness.fake.setSnapshot(snapshot)
        try await harness.run { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try response.json()["status"].string == "ok")
            #expect(try response.json()["running"].int == 3)
        }
    }

    @Test("with an API key, /v1 needs the right bearer token; /health and /metrics stay open")
    func authentication() async throws {
        let harness = try ServerHarness(configuration: try ServerConfiguration(port: 0, apiKey: "sekrit"))
        try await harness.run { client in
            let missing = try await client.get("/v1/models")
            #expect(missing.status == .unauthorized)
            #expect(try missing.json()["error"]["code"].string == "invalid_api_key")
            let wrong = try await client.post(
                "/v1/completions", json: #"{"prompt": "x"}"#, headers: [.authorization: "Bearer sekrit2"])
            #expect(wrong.status == .unauthorized)
            let notBearer = try await client.get("/v1/models", headers: [.authorization: "Basic sekrit"])
            #expect(notBearer.status == .unauthorized)
            #expect(try await client.get("/v1/models", headers: [.authorization: "Bearer sekrit"]).status == .ok)
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/metrics").status == .ok)
        }
        #expect(harness.fake.submitted.isEmpty)
    }

    @Test("GET /metrics: requests by status, token counters, engine gauges, latency histograms")
    func metrics() async throws {
        let harness = try ServerHarness(script: .init(endAfter: 2))
        var snapshot = EngineSnapshot()
        snapshot.runningSequences = 2
        snapshot.waitingSequences = 5
        snapshot.kvBlocksUsed = 10
        snapshot.kvBlocksFree = 90
        snapshot.prefixCacheQueriedTokens = 200
        snapshot.prefixCacheHitTokens = 50
        harness.fake.setSnapshot(snapshot)
        try await harness.run { client in
            _ = try await client.post("/v1/completions", json: #"{"prompt": [1, 2, 3, 4]}"#)
            _ = try await client.post("/v1/completions", json: #"{"prompt": "#)
            _ = try await client.get("/nowhere")
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let lines = Set(response.text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"tern_http_requests_total{status="200"} 1"#))
            #expect(lines.contains(#"tern_http_requests_total{status="400"} 1"#))
            #expect(lines.contains(#"tern_http_requests_total{status="404"} 1"#))
            #expect(lines.contains("tern_prompt_tokens_total 4"))
            #expect(lines.contains("tern_generation_tokens_total 3"))
            #expect(lines.contains("tern_running_sequences 2.0"))
            #expect(lines.contains("tern_waiting_sequences 5.0"))
            #expect(lines.contains("tern_kv_blocks_used 10.0"))
            #expect(lines.contains("tern_kv_blocks_free 90.0"))
            #expect(lines.contains("tern_prefix_cache_hit_ratio 0.25"))
            #expect(lines.contains("tern_time_to_first_token_seconds_count 1"))
            #expect(lines.contains("tern_time_per_output_token_seconds_count 1"))
        }
    }

    @Test("configuration values out of range are refused with the field named")
    func configurationChecks() {
        #expect(throws: ServerConfigurationError.outOfRange(field: "port", value: "70000", allowed: "in 0...65535")) {
            try ServerConfiguration(port: 70000)
        }
        #expect(throws: ServerConfigurationError.self) { try ServerConfiguration(apiKey: "") }
        #expect(throws: ServerConfigurationError.self) { try ServerConfiguration(maxChoices: 0) }
        #expect(throws: ServerConfigurationError.self) {
            try ServerConfiguration(defaultParams: SamplingParams(temperature: -1))
        }
        #expect(throws: Never.self) { try ServerConfiguration() }
    }
}
