import ArgumentParser
import Foundation
import Tern

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Judge a model by numbers.",
        subcommands: [PerplexityCommand.self])
}

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity on a text, computed as llama.cpp's llama-perplexity computes it.",
        discussion: """
            The text is cut into chunks of -c tokens; each chunk starts from an empty cache and \
            its second half is scored. The last line reads `PPL = 15.5674 +/- 0.27112`, \
            directly comparable with llama-perplexity on the same file and text.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Text file to score. Default: the bundled corpus (Botchan, public domain).")
    var text: String?

    @Option(help: "Score at most this many chunks (default: all).")
    var chunks: Int?

    func validate() throws {
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks).") }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let loaded = try modelOptions.load()
            let corpus = try text.map { path throws(EvalError) in try Perplexity.readText(path: path) } ?? Perplexity.defaultCorpus()
            let tokens = loaded.tokenizer.encode(corpus, addSpecial: true, parseSpecial: false)
            let contextSize = modelOptions.contextSize ?? 512
            let evaluation = try Perplexity(
                model: loaded.model, contextSize: contextSize, threadCount: modelOptions.threadCount)
            Terminal.note("perplexity: \(tokens.count) tokens, context \(contextSize), \(modelOptions.threadCount) threads")
            let start = ContinuousClock.now
            let result = try evaluation.evaluate(tokens: tokens, maxChunks: chunks) { done, total, ppl in
                Terminal.progress(done: done, total: total, label: String(format: "PPL %.4f", ppl))
            }
            let elapsed = ContinuousClock.now - start
            Terminal.note(String(format: "\n%d chunks, %d tokens scored in %.1f s", result.chunks, result.scoredTokens, elapsed.seconds))
            print(String(format: "PPL = %.4f +/- %.5f", result.perplexity, result.uncertainty))
        }
    }
}
