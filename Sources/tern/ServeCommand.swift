import ArgumentParser
import Foundation
import Tern
import TernServer

/// `tern serve`: the OpenAI-compatible HTTP server over the batching engine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over an OpenAI-compatible HTTP API.",
        discussion: """
            Routes: GET /v1/models, POST /v1/completions, POST /v1/chat/completions, GET /health, \
            GET /metrics (Prometheus). Requests are batched continuously over a paged KV cache with \
            prefix caching. SIGINT or SIGTERM stop taking requests and finish those in flight.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "TCP port.")
    var port = 8080

    @Option(help: "Require 'Authorization: Bearer KEY' on /v1 routes.")
    var apiKey: String?

    @Option(help: "KV cache size: bytes with a unit (2GiB, 512MiB) or a number of token positions.")
    var kvMemory = "1GiB"

    @Option(help: "Sequences computed together in one step.")
    var maxSequences = 16

    @Option(help: "Tokens computed in one step (prefill chunks and decodes together).")
    var maxBatchedTokens = 512

    @Option(help: "Positions per KV block (the unit of allocation and prefix sharing).")
    var blockSize = 16

    @Option(help: "Requests admitted and unfinished before new ones get HTTP 429.")
    var maxQueue = 256

    @Option(help: "Name clients use for the model. Default: the model's general.name.")
    var modelName: String?

    @Option(help: "Use a built-in chat template instead of the model's own (chatml).")
    var chatTemplate: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port).") }
        guard maxSequences >= 1 else { throw ValidationError("--max-sequences must be at least 1, got \(maxSequences).") }
        guard maxBatchedTokens >= maxSequences else {
            throw ValidationError("--max-batched-tokens (\(maxBatchedTokens)) must be at least --max-sequences (\(maxSequences)).")
        }
        guard (1...1024).contains(blockSize) else { throw ValidationError("--block-size must be in 1...1024, got \(blockSize).") }
        guard maxQueue >= 1 else { throw ValidationError("--max-queue must be at least 1, got \(maxQueue).") }
        _ = try KVMemory(parsing: kvMemory)
    }

    func run() async throws {
        let loaded: LoadedModel
        let engine: LLMEngine
        let server: TernServer
        do {
            loaded = try modelOptions.load()
            let template: ChatTemplate
            do {
                template = try loaded.chatTemplate(named: chatTemplate)
            } catch let error as ChatTemplateError {
                throw CLIUsageError.invalidOption(
                    "the model's chat template cannot be used: \(error). Pass --chat-template chatml to use ChatML instead.")
            }
            let config = loaded.model.config
            let kvTokens = try KVMemory(parsing: kvMemory).tokens(config: config)
            let engineConfig = try EngineConfiguration(
                contextLength: modelOptions.contextSize(for: loaded.model), kvCacheTokens: kvTokens, blockSize: blockSize,
                maxSequences: maxSequences, maxBatchedTokens: maxBatchedTokens, maxOutstanding: maxQueue,
                threadCount: modelOptions.threadCount
            ).validated()
            // The file's name is what users know the model by (as llama-server reports it).
            let path = modelOptions.model ?? "SmolLM2-135M-Instruct.gguf"
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let name = modelName ?? (stem.isEmpty ? "tern" : stem)
            engine = try LLMEngine(model: loaded, modelName: name, chatTemplate: template, configuration: engineConfig)
            server = TernServer(
                service: engine, configuration: try ServerConfiguration(host: host, port: port, apiKey: apiKey))
            let kvBytes = engineConfig.kvCacheBytes(config: config)
            Terminal.note(String(
                format: "model %@ (%@), context %d, KV cache %d blocks × %d tokens = %d tokens, %.1f MiB, %d threads",
                name, modelOptions.model ?? "default", engineConfig.contextLength, engineConfig.blockCount,
                engineConfig.blockSize, engineConfig.blockCount * engineConfig.blockSize, Double(kvBytes) / 1_048_576,
                engineConfig.threadCount))
        } catch {
            Terminal.note("error: \(error)")
            throw ExitCode.failure
        }
        do {
            try await server.run { port in
                Terminal.note("listening on http://\(host):\(port) (OpenAI API under /v1; Ctrl-C stops)")
            }
        } catch {
            Terminal.note("error: the server stopped: \(error)")
            engine.shutdown(deadline: .seconds(5))
            throw ExitCode.failure
        }
        engine.shutdown(deadline: .seconds(5))
        Terminal.note("stopped")
    }
}
