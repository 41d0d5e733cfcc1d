import Foundation
import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

@Suite("POST /v1/chat/completions")
struct ChatCompletionTests {
    @Test("a whole reply has OpenAI's shape, the template-rendered prompt, and exact usage")
    func wholeReply() async throws {
        let harness = try ServerHarness(script: .init(endAfter: 3))
        let expectedPrompt = try harness.chatPrompt([
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi!"),
        ])
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"model": "smollm2-test", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi!"}]}"#
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = try response.json()
            #expect(json["id"].string?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"].string == "chat.completion")
            #expect(json["model"].string == "smollm2-test")
            #expect(abs(Double(json["created"].int ?? 0) - Date().timeIntervalSince1970) < 60)
            #expect(json["system_fingerprint"].isNull)
            let choice = json["choices"][0]
            #expect(choice["index"].int == 0)
            #expect(choice["message"]["role"].string == "assistant")
            #expect(choice["message"]["content"].string == "Hello world,")
            #expect(choice["message"]["refusal"].isNull)
            #expect(choice["logprobs"].isNull)
            #expect(choice["finish_reason"].string == "stop")
            #expect(json["usage"]["prompt_tokens"].int == expectedPrompt.count)
            #expect(json["usage"]["completion_tokens"].int == 4)  // three words and the end token
            #expect(json["usage"]["total_tokens"].int == expectedPrompt.count + 4)
            #expect(json["usage"]["prompt_tokens_details"]["cached_tokens"].int == 2)
        }
        #expect(harness.fake.submitted.map(\.promptTokens) == [expectedPrompt])
    }

    @Test("content may be an array of text parts; developer is sent to the template as system")
    func contentParts() async throws {
        let harness = try ServerHarness()
        let expected = try harness.chatPrompt([
            ChatMessage(role: "system", content: "Rules."), ChatMessage(role: "user", content: "Say hi"),
        ])
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages": [{"role": "developer", "content": "Rules."}, {"role": "user", "content": [{"type": "text", "text": "Say "}, {"type": "text", "text": "hi"}]}], "max_tokens": 2}"#
            )
            #expect(response.status == .ok)
        }
        #expect(harness.fake.submitted.first?.promptTokens == expected)
    }

    @Test("sampling fields reach the engine; max_completion_tokens wins over max_tokens")
    func samplingFields() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: """
                    {"messages": [{"role": "user", "content": "x"}], "temperature": 0.5, "top_p": 0.9, "top_k": 7, "min_p": 0.1,
                     "seed": 42, "stop": ["\\n", "END"], "presence_penalty": 0.5, "frequency_penalty": -0.5,
                     "max_tokens": 9, "max_completion_tokens": 5}
                    """)
            #expect(response.status == .ok)
        }
        let params = try #require(harness.fake.submitted.first?.params)
        #expect(params.temperature == 0.5)
        #expect(params.topP == 0.9)
        #expect(params.topK == 7)
        #expect(params.minP == 0.1)
        #expect(params.seed == 42)
        #expect(params.stop == ["\n", "END"])
        #expect(params.presencePenalty == 0.5)
        #expect(params.frequencyPenalty == -0.5)
        #expect(params.maxTokens == 5)
    }

    @Test("left-out fields take the server's defaults; max_tokens defaults to the rest of the context")
    func defaults() async throws {
        let harness = try ServerHarness(contextLength: 200)
        try await harness.run { client in
            _ = try await client.post("/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "stop": "END"}"#)
        }
        let request = try #require(harness.fake.submitted.first)
        #expect(request.params.temperature == SamplingParams().temperature)
        #expect(request.params.seed == nil)
        #expect(request.params.stop == ["END"])
        #expect(request.params.maxTokens == 200 - request.promptTokens.count)
        #expect(request.topLogprobs == nil)
    }

    @Test("finish_reason is stop for a stop string and length at max_tokens")
    func finishReasons() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let stopped = try await client.post(
                "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "stop": " this"}"#)
            #expect(try stopped.json()["choices"][0]["finish_reason"].string == "stop")
            #expect(try stopped.json()["choices"][0]["message"]["content"].string == "Hello world,")
            let long = try await client.post(
                "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}"#)
            #expect(try long.json()["choices"][0]["finish_reason"].string == "length")
            #expect(try long.json()["usage"]["completion_tokens"].int == 2)
        }
    }

    @Test("n choices are indexed, seeded seed+i, and the prompt counts once in usage")
    func severalChoices() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages": [{"role": "user", "content": "x"}], "n": 3, "seed": 7, "max_tokens": 2}"#)
            let json = try response.json()
            #expect(json["choices"].array?.map { $0["index"].int } == [0, 1, 2])
            #expect(json["choices"].array?.map { $0["message"]["content"].string } == Array(repeating: "Hello world", count: 3))
            let prompt = harness.fake.submitted.first?.promptTokens.count ?? -1
            #expect(json["usage"]["prompt_tokens"].int == prompt)
            #expect(json["usage"]["completion_tokens"].int == 6)
        }
        #expect(harness.fake.submitted.map(\.params.seed) == [7, 8, 9])
    }

    @Test("logprobs true with top_logprobs k gives content entries with token, logprob, bytes and k alternatives")
    func logprobs() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 2, "max_tokens": 2}"#)
            let logprobs = try response.json()["choices"][0]["logprobs"]
            #expect(logprobs["refusal"].isNull)
            let entries = try #require(logprobs["content"].array)
            #expect(entries.count == 2)
            let tokenizer = harness.fake.tokenizer
            let first = FakeGenerationService.firstTokenID
            #expect(entries[0]["token"].string == String(decoding: tokenizer.bytes(of: first), as: UTF8.self))
            #expect(entries[0]["bytes"].array?.compactMap(\.int) == tokenizer.bytes(of: first).map(Int.init))
            #expect(entries[0]["logprob"].double == -0.25)
            #expect(entries[0]["top_logprobs"].array?.count == 2)
            #expect(entries[0]["top_logprobs"][1]["logprob"].double == -1.25)
            #expect(entries[0]["top_logprobs"][1]["bytes"].array != nil)
        }
        #expect(harness.fake.submitted.first?.topLogprobs == 2)
    }
}
