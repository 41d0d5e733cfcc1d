import ArgumentParser
import Foundation
import Tern

/// Options every command that runs a model shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path to a GGUF model. Default: SmolLM2-135M-Instruct, obtained on first use.")
    var model: String?

    @Option(name: .shortAndLong, help: "Threads for computation. Default: all cores.")
    var threads: Int?

    @Option(name: [.customShort("c"), .customLong("ctx-size")], help: "Context size in tokens. Default: min(model's trained context, 4096).")
    var contextSize: Int?

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let threads, !(1...512).contains(threads) {
            throw ValidationError("--threads must be between 1 and 512, got \(threads).")
        }
        if let contextSize, contextSize < 16 {
            throw ValidationError("--ctx-size must be at least 16, got \(contextSize).")
        }
    }

    /// Resolves the model path (obtaining the default model if needed) and loads it.
    func load() throws -> LoadedModel {
        let path: String
        if let model {
            path = model
        } else {
            path = try ModelStore().ensureDefaultModel { Terminal.note($0) }
        }
        return try LoadedModel(path: path)
    }

    /// The context size to use for `model`: the flag, capped at the trained context.
    func contextSize(for model: LlamaModel) throws -> Int {
        let trained = model.config.contextLength
        guard let contextSize else { return min(trained, 4096) }
        guard contextSize <= trained else {
            throw CLIUsageError.invalidOption("--ctx-size \(contextSize) exceeds the model's trained context of \(trained) tokens.")
        }
        return contextSize
    }
}

/// Sampling flags, named the same in every command.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Maximum tokens to generate.")
    var maxTokens: Int = 256
    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.8
    @Option(help: "Keep only the k most likely tokens (0: off).")
    var topK: Int = 40
    @Option(help: "Keep the smallest set of tokens whose probability reaches p (1: off).")
    var topP: Float = 0.95
    @Option(help: "Drop tokens less likely than min-p × the top token's probability (0: off).")
    var minP: Float = 0.05
    @Option(help: "Penalty for repeating recent tokens (1: off).")
    var repeatPenalty: Float = 1
    @Option(help: "Penalty for tokens already present (0: off).")
    var presencePenalty: Float = 0
    @Option(help: "Penalty per occurrence of a token (0: off).")
    var frequencyPenalty: Float = 0
    @Option(help: "Random seed, for reproducible sampling.")
    var seed: UInt64?
    @Option(help: "Stop when this text appears (repeatable).")
    var stop: [String] = []

    func params() throws -> SamplingParams {
        var p = SamplingParams()
        p.maxTokens = maxTokens
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repetitionPenalty = repeatPenalty
        p.presencePenalty = presencePenalty
        p.frequencyPenalty = frequencyPenalty
        p.seed = seed
        p.stop = stop
        return try p.validated()
    }
}

extension ModelOptions {
    /// An engine for one conversation at a time on `loaded` (generate, chat): its KV cache
    /// holds one full context, and prefix caching lets a chat turn reuse the conversation so far.
    func singleUserEngine(_ loaded: LoadedModel, chatTemplate: ChatTemplate) throws -> LLMEngine {
        let context = try contextSize(for: loaded.model)
        return try LLMEngine(
            model: loaded, modelName: loaded.model.config.name, chatTemplate: chatTemplate,
            configuration: EngineConfiguration(
                contextLength: context, maxSequences: 1, maxBatchedTokens: 512, maxOutstanding: 1,
                threadCount: threadCount))
    }
}
