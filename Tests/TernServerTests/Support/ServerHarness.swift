import Foundation
import Hummingbird
import HummingbirdTesting
import Tern
import TernServer

/// A server over a fake engine, driven in process through Hummingbird's router test client
/// (or over a real socket with `.live`).
struct ServerHarness {
    let fake: FakeGenerationService
    let server: TernServer

    init(
        script: FakeGenerationService.Script = .init(), contextLength: Int = 256,
        configuration: ServerConfiguration? = nil
    ) throws {
        fake = try FakeGenerationService(script: script, contextLength: contextLength)
        server = TernServer(service: fake, configuration: try configuration ?? ServerConfiguration(port: 0))
    }

    func run<Value>(
        _ setup: TestingSetup = .router, _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await server.makeApplication().test(setup, test)
    }

    /// POSTs a JSON body to `uri` in process and reads the answer's JSON body.
    func postJSON(_ uri: String, _ json: String) async throws -> JSONValue {
        try await run { client in try await client.post(uri, json: json).json() }
    }

    /// The tokens the server must send for a chat: the template rendered as `tern chat` does.
    func chatPrompt(_ messages: [ChatMessage]) throws -> [Int] {
        let tokenizer = fake.tokenizer
        let text = try fake.chatTemplate.render(
            messages: messages, addGenerationPrompt: true,
            bosToken: tokenizer.bosToken.map(tokenizer.tokenText) ?? "",
            eosToken: tokenizer.eosToken.map(tokenizer.tokenText) ?? "")
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }
}

extension TestClientProtocol {
    /// POSTs a JSON body (given as text, so tests can send malformed JSON too).
    func post(_ uri: String, json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: json))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> JSONValue { try JSONValue(parsing: body.readableBytesView) }

    /// Server-sent events: the payload of each `data: …` event, in order.
    var events: [String] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map {
            $0.hasPrefix("data: ") ? String($0.dropFirst(6)) : "<not an SSE data line: \($0)>"
        }
    }

    /// The JSON events of a stream, without the final `[DONE]`.
    func eventJSON() throws -> [JSONValue] {
        try events.filter { $0 != "[DONE]" }.map { try JSONValue(parsing: Array($0.utf8)) }
    }
}
