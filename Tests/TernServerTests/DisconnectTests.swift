import Foundation
import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

/// Whole (not streamed) replies over a real socket: a client that hangs up while its reply is
/// being generated aborts the generation, as a streaming client does.
@Suite("Whole replies and clients that hang up")
struct DisconnectTests {
    static let bodies = [
        ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "n": 2}"#),
        ("/v1/completions", #"{"prompt": "x", "n": 2}"#),
    ]

    @Test("a client that hangs up before its whole reply aborts every choice at once (live socket)", arguments: bodies)
    func hangUpAborts(path: String, body: String) async throws {
        let harness = try ServerHarness(script: .init(stallAfter: 2))
        let fake = harness.fake
        try await harness.run(.live) { client in
            let port = try #require(client.port)
            let socket = try RawHTTPSocket(port: port)
            try socket.sendJSON(path: path, body: body)
            #expect(await fake.wait { $0.runningCount == 2 })
            #expect(fake.aborts == 0)
            socket.close()
            #expect(await fake.wait { $0.aborts == 2 && $0.runningCount == 0 })
        }
    }

    @Test("a whole reply arrives complete and closes the connection (live socket)", arguments: bodies)
    func wholeReply(path: String, body: String) async throws {
        let harness = try ServerHarness(script: .init(endAfter: 3))
        try await harness.run(.live) { client in
            let port = try #require(client.port)
            let socket = try RawHTTPSocket(port: port)
            try socket.sendJSON(path: path, body: body)
            let response = try await socket.readResponse(timeout: .seconds(30))
            #expect(response.status == 200)
            #expect(response.headers.contains("connection: close"))
            let json = try JSONValue(parsing: Array(response.body.utf8))
            #expect(json["choices"].array?.count == 2)
            #expect(json["usage"]["completion_tokens"].int == 8)  // per choice: three words and the end token
        }
        #expect(harness.fake.aborts == 0)
    }
}
