import Foundation
import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

@Suite("Streaming (server-sent events)")
struct StreamingTests {
    @Test("a chat stream: role chunk, one chunk per token, a finish chunk, usage on request, then [DONE]")
    func chatStream() async throws {
        let harness = try ServerHarness(script: .init(endAfter: 3))
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages": [{"role": "user", "content": "x"}], "stream": true, "stream_options": {"include_usage": true}}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.headers[.connection] == "close")
            #expect(response.text.hasSuffix("\n\ndata: [DONE]\n\n"))
            #expect(response.events.last == "[DONE]")
            let chunks = try response.eventJSON()
            #expect(chunks.count == 6)  // role, 3 tokens, finish, usage
            let ids = Set(chunks.compactMap { $0["id"].string })
            #expect(ids.count == 1)
            #expect(ids.first?.hasPrefix("chatcmpl-") == true)
            #expect(chunks.allSatisfy { $0["object"].string == "chat.completion.chunk" && $0["model"].string == "smollm2-test" })
            #expect(chunks[0]["choices"][0]["delta"]["role"].string == "assistant")
            #expect(chunks[0]["choices"][0]["finish_reason"].isNull)
            let text = chunks[1...3].compactMap { $0["choices"][0]["delta"]["content"].string }.joined()
            #expect(text == "Hello world,")
            #expect(chunks[1]["choices"][0]["delta"]["role"] == .missing)
            #expect(chunks[4]["choices"][0]["finish_reason"].string == "stop")
            #expect(chunks[4]["choices"][0]["delta"].keys == [])
            #expect(chunks[5]["choices"].array?.isEmpty == true)
            let prompt = harness.fake.submitted.first?.promptTokens.count ?? -1
            #expect(chunks[5]["usage"]["prompt_tokens"].int == prompt)
            #expect(chunks[5]["usage"]["completion_tokens"].int == 4)
            #expect(chunks[5]["usage"]["total_tokens"].int == prompt + 4)
            #expect(chunks[0..<5].allSatisfy { $0["usage"] == .missing })
        }
    }

    @Test("without include_usage no usage chunk is sent")
    func noUsageChunk() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "stream": true, "max_tokens": 2}"#)
            let chunks = try response.eventJSON()
            #expect(chunks.count == 4)
            #expect(chunks.last?["choices"][0]["finish_reason"].string == "length")
        }
    }

    @Test("n streamed choices each get a role chunk, their tokens and their own finish chunk")
    func severalStreamedChoices() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages": [{"role": "user", "content": "x"}], "stream": true, "n": 2, "max_tokens": 3, "logprobs": true}"#)
            let choices = try response.eventJSON().compactMap { $0["choices"][0] == .missing ? nil : $0["choices"][0] }
            for index in 0..<2 {
                let mine = choices.filter { $0["index"].int == index }
                #expect(mine.first?["delta"]["role"].string == "assistant")
                #expect(mine.compactMap { $0["delta"]["content"].string }.joined() == "Hello world,")
                #expect(mine.filter { !$0["finish_reason"].isNull }.map { $0["finish_reason"].string } == ["length"])
                #expect(mine.compactMap { $0["logprobs"]["content"].array }.map(\.count) == [1, 1, 1])
            }
        }
    }

    @Test("a completions stream: text chunks, finish chunk, usage chunk, [DONE]")
    func completionStream() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/completions",
                json: #"{"prompt": "Once", "stream": true, "max_tokens": 2, "logprobs": 1, "stream_options": {"include_usage": true}}"#)
            #expect(response.events.last == "[DONE]")
            let chunks = try response.eventJSON()
            #expect(chunks.count == 4)
            #expect(chunks.allSatisfy { $0["object"].string == "text_completion" && $0["id"].string?.hasPrefix("cmpl-") == true })
            #expect(chunks[0]["choices"][0]["text"].string == "Hello")
            #expect(chunks[1]["choices"][0]["text"].string == " world")
            #expect(chunks[1]["choices"][0]["logprobs"]["text_offset"].array?.compactMap(\.int) == [5])
            #expect(chunks[1]["choices"][0]["finish_reason"].isNull)
            #expect(chunks[2]["choices"][0]["finish_reason"].string == "length")
            #expect(chunks[3]["usage"]["completion_tokens"].int == 2)
        }
    }

    @Test("past the request timeout, generation is aborted and the choice ends with length")
    func timeout() async throws {
        let configuration = try ServerConfiguration(port: 0, requestTimeout: .milliseconds(200))
        let harness = try ServerHarness(script: .init(stallAfter: 2), configuration: configuration)
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "stream": true}"#)
            let chunks = try response.eventJSON()
            #expect(chunks.compactMap { $0["choices"][0]["delta"]["content"].string }.joined() == "Hello world")
            #expect(chunks.last?["choices"][0]["finish_reason"].string == "length")
            #expect(response.events.last == "[DONE]")
        }
        #expect(await harness.fake.wait { $0.aborts == 1 })
    }

    @Test("a client that disconnects mid-stream aborts its request at once (live socket)")
    func disconnectAborts() async throws {
        let harness = try ServerHarness(script: .init(stallAfter: 2))
        let fake = harness.fake
        try await harness.run(.live) { client in
            let port = try #require(client.port)
            let body = #"{"messages": [{"role": "user", "content": "x"}], "stream": true, "n": 2}"#
            let socket = try RawHTTPSocket(port: port)
            try socket.sendJSON(path: "/v1/chat/completions", body: body)
            // Read until the stalled tokens have arrived: the request is generating now.
            let received = try await socket.read(until: "world", timeout: .seconds(5))
            #expect(received.contains("HTTP/1.1 200"))
            #expect(fake.aborts == 0)
            socket.close()
            #expect(await fake.wait { $0.aborts == 2 && $0.runningCount == 0 })
        }
    }
}
