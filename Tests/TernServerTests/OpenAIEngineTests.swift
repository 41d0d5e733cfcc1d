import Foundation
import Tern
import Testing

@testable import TernServer

/// The official `openai` Python client against the real engine on the default model, over a
/// real socket: what the client parses must be exactly what the engine generates by itself.
/// Always runs: a missing package fails the test with the install command (`.ci/run` installs it).
@Suite("The official openai Python client against the real engine", .serialized)
struct OpenAIEngineTests {
    /// One request the client sends, and the request the engine gets for it.
    struct Case {
        let what: String
        let api: String
        let stream: Bool
        let prompt: [Int]
        let params: SamplingParams
        var ignoresEndOfGeneration = false
        /// The create() arguments besides the prompt.
        var arguments: [String: Any] {
            var arguments: [String: Any] = [
                "model": "smollm2", "max_tokens": params.maxTokens, "temperature": Double(params.temperature),
            ]
            if let seed = params.seed { arguments["seed"] = Int(seed) }
            if !params.stop.isEmpty { arguments["stop"] = params.stop }
            if stream { arguments["stream"] = true; arguments["stream_options"] = ["include_usage": true] }
            if ignoresEndOfGeneration { arguments["extra_body"] = ["ignore_eos": true] }
            return arguments
        }
        var request: GenerationRequest {
            GenerationRequest(promptTokens: prompt, params: params, ignoresEndOfGeneration: ignoresEndOfGeneration)
        }
    }

    /// What bench/openai_client_run.py reports for one case.
    struct ClientResult: Decodable {
        let object: String?
        let text: String?
        let role: String?
        let finish_reasons: [String]?
        let prompt_tokens: Int?
        let completion_tokens: Int?
        let chunks: Int?
        let error: String?
        let status: Int?
    }

    /// The server's sampling for a request that sets these fields and leaves the rest out.
    static func params(temperature: Float, maxTokens: Int, seed: UInt64? = nil, stop: [String] = []) throws -> SamplingParams {
        var params = try ServerConfiguration(port: 0).defaultParams
        params.temperature = temperature
        params.maxTokens = maxTokens
        params.seed = seed
        params.stop = stop
        return params
    }

    @Test("chat and completions, streamed and not, greedy, stop strings, seeds and ignore_eos: the engine's own output")
    func realEngine() async throws {
        try await PythonOpenAIClient.requireInstalled()
        // A cache large enough that the prompts' blocks are never evicted between requests.
        let engine = try LiveEngine.make(kvCacheTokens: 2048)
        defer { engine.shutdown() }
        let messages = [ChatMessage(role: "user", content: "What is 2+2?")]
        let chatPrompt = try LiveEngine.chatPrompt(messages, for: engine)
        let text = "The capital of France is"
        let textPrompt = LiveEngine.textPrompt(text, for: engine)
        // Put each prompt's full blocks in the prefix cache first, so that the references below
        // and the served requests all compute the same chunks the same way.
        for prompt in [chatPrompt, textPrompt] {
            _ = try await LiveEngine.generate(
                engine, GenerationRequest(promptTokens: prompt, params: try Self.params(temperature: 0, maxTokens: 1)))
        }

        let greedyChat = try await LiveEngine.generate(
            engine, GenerationRequest(promptTokens: chatPrompt, params: try Self.params(temperature: 0, maxTokens: 16)))
        let greedyText = try await LiveEngine.generate(
            engine, GenerationRequest(promptTokens: textPrompt, params: try Self.params(temperature: 0, maxTokens: 12)))
        // ignore_eos means something only if the greedy reply ends by itself.
        try #require(greedyChat.summary?.finishReason == .endOfGeneration, "the greedy reply should end early: \(greedyChat)")
        var cases: [Case] = []
        for (api, prompt, greedy, maxTokens) in [("chat", chatPrompt, greedyChat, 16), ("completions", textPrompt, greedyText, 12)] {
            let words = greedy.text.split(separator: " ")
            try #require(words.count >= 3, "the greedy \(api) text is too short to pick a stop string: \(greedy.text)")
            let stop = String(words[2])
            for stream in [false, true] {
                let how = "\(api)\(stream ? " streamed" : "")"
                cases.append(Case(what: "\(how), greedy", api: api, stream: stream, prompt: prompt,
                    params: try Self.params(temperature: 0, maxTokens: maxTokens)))
                cases.append(Case(what: "\(how), stop \(stop.debugDescription)", api: api, stream: stream, prompt: prompt,
                    params: try Self.params(temperature: 0, maxTokens: maxTokens, stop: [stop])))
                cases.append(Case(what: "\(how), seed 7", api: api, stream: stream, prompt: prompt,
                    params: try Self.params(temperature: 1, maxTokens: maxTokens, seed: 7)))
            }
        }
        for stream in [false, true] {
            cases.append(Case(what: "chat\(stream ? " streamed" : ""), ignore_eos", api: "chat", stream: stream,
                prompt: chatPrompt, params: try Self.params(temperature: 0, maxTokens: 16), ignoresEndOfGeneration: true))
        }

        var references: [LiveEngine.Generated] = []
        for c in cases { references.append(try await LiveEngine.generate(engine, c.request)) }
        let input = try JSONSerialization.data(withJSONObject: cases.map { c -> [String: Any] in
            var arguments = c.arguments
            if c.api == "chat" {
                arguments["messages"] = messages.map { ["role": $0.role, "content": $0.content] }
            } else {
                arguments["prompt"] = text
            }
            return ["api": c.api, "args": arguments]
        })
        let output = try await LiveEngine.serve(engine) { port in
            try await PythonOpenAIClient.run(
                [PythonOpenAIClient.script("openai_client_run.py"), "--base-url", "http://127.0.0.1:\(port)/v1"], input: input)
        }
        try #require(output.status == 0, "openai_client_run.py failed:\n\(output.stderr)")
        let results = try JSONDecoder().decode([ClientResult].self, from: output.stdout)
        try #require(results.count == cases.count)

        for (c, (result, reference)) in zip(cases, zip(results, references)) {
            let summary = try #require(reference.summary, "\(c.what): the engine gave no summary")
            #expect(result.error == nil, "\(c.what): the client raised \(result.error ?? "") (HTTP \(result.status ?? 0))")
            #expect(result.text == reference.text, "\(c.what)")
            #expect(result.finish_reasons == [GenerationGateway.finishReason(summary.finishReason)], "\(c.what)")
            #expect(result.completion_tokens == summary.generatedTokens, "\(c.what)")
            #expect(result.prompt_tokens == c.prompt.count, "\(c.what)")
            let object = c.api == "chat" ? (c.stream ? "chat.completion.chunk" : "chat.completion") : "text_completion"
            #expect(result.object == object, "\(c.what)")
            if c.api == "chat" { #expect(result.role == "assistant", "\(c.what)") }
            if c.stream && !reference.text.isEmpty { #expect((result.chunks ?? 0) >= 1, "\(c.what)") }
            if let stop = c.params.stop.first, c.params.temperature == 0 {
                // A stop string cuts the greedy text just before its first occurrence.
                let greedy = c.api == "chat" ? greedyChat.text : greedyText.text
                let cut = try #require(greedy.range(of: stop), "\(c.what)")
                #expect(result.text == String(greedy[..<cut.lowerBound]), "\(c.what)")
                #expect(result.finish_reasons == ["stop"], "\(c.what)")
            }
            if c.params.temperature == 0 && c.params.stop.isEmpty && !c.ignoresEndOfGeneration {
                let greedy = c.api == "chat" ? greedyChat : greedyText
                #expect(result.text == greedy.text, "\(c.what): the engine's greedy text")
            }
            if c.ignoresEndOfGeneration {
                #expect(result.completion_tokens == 16 && result.finish_reasons == ["length"], "\(c.what)")
            }
        }
        #expect(engine.snapshot().kvBlocksUsed == 0)
    }
}
