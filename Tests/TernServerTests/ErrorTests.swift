import Hummingbird
import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

@Suite("Errors: OpenAI-shaped, right status, never a crash, nothing left running")
struct ErrorTests {
    struct BadRequest: CustomTestStringConvertible, Sendable {
        let name: String
        let path: String
        let body: String
        let param: String?
        var code: String? = nil
        var testDescription: String { name }
    }

    static let chat = "/v1/chat/completions"
    static let badRequests: [BadRequest] = [
        .init(name: "malformed JSON", path: chat, body: #"{"messages": [}"#, param: nil),
        .init(name: "not an object", path: chat, body: #"[1, 2]"#, param: nil),
        .init(name: "empty body", path: chat, body: "", param: nil),
        .init(name: "missing messages", path: chat, body: #"{"model": "smollm2-test"}"#, param: "messages"),
        .init(name: "wrong type", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}"#, param: "temperature"),
        .init(name: "wrong content type", path: chat, body: #"{"messages": [{"role": "user", "content": 5}]}"#, param: "messages[0].content"),
        .init(name: "image part", path: chat, body: #"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, param: "messages[0].content"),
        .init(name: "unknown role", path: chat, body: #"{"messages": [{"role": "wizard", "content": "x"}]}"#, param: "messages[0].role"),
        .init(name: "unknown model", path: chat, body: #"{"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}"#, param: "model", code: "model_not_found"),
        .init(name: "empty messages", path: chat, body: #"{"messages": []}"#, param: "messages"),
        .init(name: "negative max_tokens", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}"#, param: "max_tokens"),
        .init(name: "huge max_tokens", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 100000000}"#, param: "max_tokens"),
        .init(name: "huge max_completion_tokens", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 257}"#, param: "max_completion_tokens"),
        .init(name: "negative temperature", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "temperature": -1}"#, param: "temperature"),
        .init(name: "top_p out of range", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "top_p": 2}"#, param: "top_p"),
        .init(name: "empty stop string", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "stop": [""]}"#, param: "stop"),
        .init(name: "n zero", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "n": 0}"#, param: "n"),
        .init(name: "top_logprobs too big", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 21}"#, param: "top_logprobs"),
        .init(name: "prompt longer than the context", path: chat, body: #"{"messages": [{"role": "user", "content": "\#(String(repeating: "word ", count: 400))"}]}"#, param: "messages", code: "context_length_exceeded"),
        .init(name: "completions: missing prompt", path: "/v1/completions", body: #"{"max_tokens": 3}"#, param: "prompt"),
        .init(name: "completions: token id outside the vocabulary", path: "/v1/completions", body: #"{"prompt": [1, 99999999]}"#, param: "prompt"),
        .init(name: "completions: prompt of the wrong type", path: "/v1/completions", body: #"{"prompt": {"text": "x"}}"#, param: "prompt"),
        .init(name: "completions: too long", path: "/v1/completions", body: #"{"prompt": "\#(String(repeating: "word ", count: 400))"}"#, param: "prompt", code: "context_length_exceeded"),
        .init(name: "completions: empty prompt", path: "/v1/completions", body: #"{"prompt": []}"#, param: "prompt"),
        .init(name: "completions: logprobs too big", path: "/v1/completions", body: #"{"prompt": "x", "logprobs": 6}"#, param: "logprobs"),
        .init(name: "completions: echo", path: "/v1/completions", body: #"{"prompt": "x", "echo": true}"#, param: "echo"),
    ]

    @Test("bad requests get 400 with an OpenAI error body", arguments: badRequests)
    func badRequest(_ bad: BadRequest) async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(bad.path, json: bad.body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/json")
            let error = try response.json()["error"]
            #expect(error.keys == ["message", "type", "param", "code"])
            #expect(!(error["message"].string ?? "").isEmpty)
            #expect(error["type"].string == "invalid_request_error")
            #expect(error["param"] == (bad.param.map(JSONValue.string) ?? .null))
            #expect(error["code"] == (bad.code.map(JSONValue.string) ?? .null))
            // The server still answers afterwards.
            #expect(try await client.get("/health").status == .ok)
        }
        #expect(harness.fake.runningCount == 0)
    }

    @Test("invalid UTF-8 gets 400")
    func invalidUTF8() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            var body = ByteBuffer(string: #"{"messages": [{"role": "user", "content": ""#)
            body.writeBytes([0xFF, 0xFE, 0xC3])
            body.writeString(#""}]}"#)
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: body)
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"]["message"].string?.contains("UTF-8") == true)
        }
    }

    @Test("a body over the size limit gets 413 with an OpenAI error body")
    func bodyTooLarge() async throws {
        let harness = try ServerHarness(configuration: try ServerConfiguration(port: 0, maxBodyBytes: 1024))
        try await harness.run { client in
            let big = #"{"prompt": "\#(String(repeating: "a", count: 2000))"}"#
            let response = try await client.post("/v1/completions", json: big)
            #expect(response.status == .contentTooLarge)
            #expect(try response.json()["error"]["code"].string == "request_too_large")
        }
    }

    @Test("an unknown route gets 404 with an OpenAI error body")
    func unknownRoute() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.get("/v1/engines")
            #expect(response.status == .notFound)
            #expect(try response.json()["error"]["message"].string?.contains("/v1/engines") == true)
            #expect(try await client.get("/v1/chat/completions").status == .notFound)  // wrong method
        }
    }

    @Test("a full engine queue gets 429 with Retry-After")
    func queueFull() async throws {
        let configuration = try ServerConfiguration(port: 0, retryAfterSeconds: 3)
        let harness = try ServerHarness(script: .init(refusal: .queueFull(waiting: 8)), configuration: configuration)
        try await harness.run { client in
            let response = try await client.post("/v1/completions", json: #"{"prompt": "x"}"#)
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "3")
            #expect(try response.json()["error"]["code"].string == "rate_limit_exceeded")
        }
    }

    @Test("when the k-th of n choices is refused, the ones already started are aborted")
    func partialStartIsAborted() async throws {
        let harness = try ServerHarness(script: .init(stallAfter: 0, queueLimit: 2))
        try await harness.run { client in
            let response = try await client.post("/v1/completions", json: #"{"prompt": "x", "n": 3}"#)
            #expect(response.status == .tooManyRequests)
        }
        #expect(await harness.fake.wait { $0.aborts == 2 && $0.runningCount == 0 })
    }

    @Test("beyond maxConcurrentRequests the server itself answers 429")
    func concurrencyLimit() async throws {
        let configuration = try ServerConfiguration(port: 0, maxConcurrentRequests: 1)
        let harness = try ServerHarness(script: .init(stallAfter: 1), configuration: configuration)
        let fake = harness.fake
        try await harness.run(.live) { client in
            // The first request stalls on its own connection and holds the only slot.
            let first = try RawHTTPSocket(port: try #require(client.port))
            try first.sendJSON(path: "/v1/completions", body: #"{"prompt": "x", "stream": true}"#)
            _ = try await first.read(until: "Hello", timeout: .seconds(5))
            let second = try await client.post("/v1/completions", json: #"{"prompt": "x"}"#)
            #expect(second.status == .tooManyRequests)
            #expect(second.headers[.retryAfter] == "1")
            first.close()
            // Once the first client is gone its slot is free again.
            #expect(await fake.wait { $0.runningCount == 0 })
            let third = try await client.post("/v1/completions", json: #"{"prompt": "x", "max_tokens": 1}"#)
            #expect(third.status == .ok)
        }
    }

    @Test("a shutting-down engine gets 503")
    func shuttingDown() async throws {
        let harness = try ServerHarness(script: .init(refusal: .shuttingDown))
        try await harness.run { client in
            let response = try await client.post("/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}]}"#)
            #expect(response.status == .serviceUnavailable)
            #expect(try response.json()["error"]["type"].string == "server_error")
        }
    }
}
