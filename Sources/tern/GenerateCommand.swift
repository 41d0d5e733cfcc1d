import ArgumentParser
import Tern

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt, streaming the text.",
        discussion: "Prints the continuation on stdout and one summary line on stderr.")

    @Argument(help: "The text to continue.")
    var prompt: String

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Flag(help: "Apply the model's chat template, treating the prompt as a user message.")
    var chat = false

    func run() throws {
        try Terminal.reportingErrors {
            let params = try sampling.params()
            let loaded = try modelOptions.load()
            let template = chat ? try loaded.chatTemplate(named: nil) : .chatml
            let engine = try modelOptions.singleUserEngine(loaded, chatTemplate: template)
            var text = prompt
            if chat {
                text = try template.render(
                    messages: [ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true,
                    bosToken: loaded.tokenizer.bosToken.map(loaded.tokenizer.tokenText) ?? "",
                    eosToken: loaded.tokenizer.eosToken.map(loaded.tokenizer.tokenText) ?? "")
            } else {
                Terminal.write(prompt)
            }
            let tokens = loaded.tokenizer.encode(text, addSpecial: true, parseSpecial: chat)
            let summary = try engine.generate(GenerationRequest(promptTokens: tokens, params: params)) { event in
                if case let .token(t) = event { Terminal.write(t.text) }
                return true
            }
            Terminal.write("\n")
            if let summary { Terminal.note(Terminal.summary(GenerationStats(summary))) }
        }
    }
}
