import Foundation
import Hummingbird
import HummingbirdTesting
import Tern
import TernServer

/// The real engine on the default model, behind the real server on a free loopback port.
enum LiveEngine {
    /// An engine over the default model with the model's own chat template, as `tern serve` builds it.
    static func make(
        contextLength: Int = 256, kvCacheTokens: Int? = nil, blockSize: Int = 16, maxSequences: Int = 4,
        maxBatchedTokens: Int = 128, maxOutstanding: Int = 64, checksInvariants: Bool = false
    ) throws -> LLMEngine {
        let loaded = try TestModel.load()
        return try LLMEngine(
            model: loaded, modelName: "smollm2", chatTemplate: loaded.chatTemplate(named: nil),
            configuration: EngineConfiguration(
                contextLength: contextLength, kvCacheTokens: kvCacheTokens, blockSize: blockSize, maxSequences: maxSequences,
                maxBatchedTokens: maxBatchedTokens, maxOutstanding: maxOutstanding, threadCount: 2,
                checksInvariants: checksInvariants))
    }

    /// Serves `engine` on 127.0.0.1 (a free port) while `body` runs; `body` gets the port.
    static func serve<Value: Sendable>(
        _ engine: LLMEngine, configuration: ServerConfiguration? = nil, _ body: @Sendable (Int) async throws -> Value
    ) async throws -> Value {
        let server = TernServer(service: engine, configuration: try configuration ?? ServerConfiguration(port: 0))
        return try await server.makeApplication().test(.live) { client in
            guard let port = client.port else { throw RawHTTPSocket.Failure(description: "the live server has no port") }
            return try await body(port)
        }
    }

    /// The prompt tokens the server makes of a conversation: the template with a reply header.
    static func chatPrompt(_ messages: [ChatMessage], for engine: LLMEngine) throws -> [Int] {
        let tokenizer = engine.tokenizer
        let text = try engine.chatTemplate.render(
            messages: messages, addGenerationPrompt: true,
            bosToken: tokenizer.bosToken.map(tokenizer.tokenText) ?? "",
            eosToken: tokenizer.eosToken.map(tokenizer.tokenText) ?? "")
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }

    /// The prompt tokens the server makes of a text completion's `prompt`.
    static func textPrompt(_ text: String, for engine: LLMEngine) -> [Int] {
        engine.tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }

    /// What the engine itself generates for `request`, without the server.
    struct Generated: Sendable {
        var text = ""
        var tokens = 0
        var summary: GenerationSummary?
    }

    static func generate(_ engine: LLMEngine, _ request: GenerationRequest) async throws -> Generated {
        var generated = Generated()
        for await event in try engine.submit(request) {
            switch event {
            case let .token(token):
                generated.text += token.text
                generated.tokens += 1
            case let .finished(summary): generated.summary = summary
            }
        }
        return generated
    }

    /// Waits (up to `timeout`) until the engine runs nothing and holds no KV block; returns its snapshot then.
    static func waitUntilIdle(_ engine: LLMEngine, timeout: Duration = .seconds(10)) async throws -> EngineSnapshot {
        let deadline = ContinuousClock.now + timeout
        var snapshot = engine.snapshot()
        while snapshot.runningSequences > 0 || snapshot.waitingSequences > 0 || snapshot.kvBlocksUsed > 0,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(20))
            snapshot = engine.snapshot()
        }
        return snapshot
    }
}
