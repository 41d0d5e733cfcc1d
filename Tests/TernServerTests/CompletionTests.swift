import HummingbirdTesting
import Tern
import Testing

@testable import TernServer

@Suite("POST /v1/completions")
struct CompletionTests {
    @Test("a text completion has OpenAI's shape; the prompt is tokenized with the model's tokenizer")
    func wholeCompletion() async throws {
        let harness = try ServerHarness()
        let expected = harness.fake.tokenizer.encode("Once upon a time", addSpecial: true, parseSpecial: true)
        try await harness.run { client in
            let response = try await client.post("/v1/completions", json: #"{"model": "smollm2-test", "prompt": "Once upon a time"}"#)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["id"].string?.hasPrefix("cmpl-") == true)
            #expect(json["object"].string == "text_completion")
            #expect(json["model"].string == "smollm2-test")
            #expect(json["choices"][0]["text"].string == "Hello world, this is Tern.Hello world, this is Tern.Hello world")
            #expect(json["choices"][0]["index"].int == 0)
            #expect(json["choices"][0]["logprobs"].isNull)
            #expect(json["choices"][0]["finish_reason"].string == "length")
            #expect(json["usage"]["prompt_tokens"].int == expected.count)
            #expect(json["usage"]["completion_tokens"].int == 16)  // OpenAI's default max_tokens
        }
        #expect(harness.fake.submitted.first?.promptTokens == expected)
    }

    /// `ignore_eos` (as llama.cpp's server and vLLM take it; bench/serve-load.py sends it) on
    /// both endpoints: (path, request fields without it, the value sent or nil, expected).
    static let ignoreEOSCases: [(String, String, Bool?, Bool)] = [
        ("/v1/completions", #""prompt": "x""#, true, true),
        ("/v1/completions", #""prompt": "x""#, false, false),
        ("/v1/completions", #""prompt": "x""#, nil, false),
        ("/v1/chat/completions", #""messages": [{"role": "user", "content": "x"}]"#, true, true),
        ("/v1/chat/completions", #""messages": [{"role": "user", "content": "x"}]"#, nil, false),
    ]

    @Test("ignore_eos reaches the engine as ignoresEndOfGeneration, false when left out", arguments: ignoreEOSCases)
    func ignoreEOS(path: String, fields: String, sent: Bool?, expected: Bool) async throws {
        let harness = try ServerHarness()
        let flag = sent.map { #", "ignore_eos": \#($0)"# } ?? ""
        try await harness.run { client in
            let response = try await client.post(path, json: #"{\#(fields), "max_tokens": 2, "n": 2\#(flag)}"#)
            #expect(response.status == .ok)
        }
        let submitted = harness.fake.submitted
        #expect(submitted.count == 2)
        #expect(submitted.allSatisfy { $0.ignoresEndOfGeneration == expected })
    }

    @Test("a prompt of token ids is used as is")
    func tokenPrompt() async throws {
        let harness = try ServerHarness()
        try await harness.run { client in
            let response = try await client.post("/v1/completions", json: #"{"prompt": [1, 2, 3], "max_tokens": 1}"#)
            #expect(response.status == .ok)
            #expect(try response.json()["usage"]["prompt_tokens"].int == 3)
        }
        #expect(harness.fake.submitted.first?.promptTokens == [1, 2, 3])
    }

    @Test("several prompts × n: choice p·n+i, each prompt counted once in usage")
    func batchOfPrompts() async throws {
        let harness = try ServerHarness()
        let json = try await harness.postJSON(
            "/v1/completions", #"{"prompt": [[5, 6], [7, 8, 9]], "n": 2, "max_tokens": 1, "seed": 100}"#)
        #expect(json["choices"].array?.map { $0["index"].int } == [0, 1, 2, 3])
        #expect(json["usage"]["prompt_tokens"].int == 5)
        #expect(json["usage"]["completion_tokens"].int == 4)
        #expect(harness.fake.submitted.map(\.promptTokens) == [[5, 6], [5, 6], [7, 8, 9], [7, 8, 9]])
        #expect(harness.fake.submitted.map(\.params.seed) == [100, 101, 100, 101])
    }

    @Test("logprobs k gives parallel tokens, token_logprobs, top_logprobs objects and text offsets")
    func logprobs() async throws {
        let harness = try ServerHarness()
        let json = try await harness.postJSON("/v1/completions", #"{"prompt": "x", "max_tokens": 3, "logprobs": 2}"#)
        let logprobs = json["choices"][0]["logprobs"]
        #expect(logprobs["tokens"].array?.count == 3)
        #expect(logprobs["token_logprobs"].array?.compactMap(\.double) == [-0.25, -0.25, -0.25])
        #expect(logprobs["text_offset"].array?.compactMap(\.int) == [0, 5, 11])
        #expect(logprobs["top_logprobs"].array?.count == 3)
        #expect(logprobs["top_logprobs"][0].keys?.count ?? 0 >= 1)
        #expect(harness.fake.submitted.first?.topLogprobs == 2)
    }

    @Test("logprobs 0 reports the chosen tokens and a null top_logprobs")
    func logprobsWithoutAlternatives() async throws {
        let json = try await ServerHarness().postJSON("/v1/completions", #"{"prompt": "x", "max_tokens": 2, "logprobs": 0}"#)
        let logprobs = json["choices"][0]["logprobs"]
        #expect(logprobs["tokens"].array?.count == 2)
        #expect(logprobs["top_logprobs"].isNull)
    }
}
