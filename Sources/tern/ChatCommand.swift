import ArgumentParser
import Tern

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Hold a conversation with the model, using its chat template.",
        discussion: """
            Each line of input is one user turn; replies stream as they are generated. \
            Works interactively and with input from a pipe. Type /reset to start over, /exit to quit.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(help: "A system message to start the conversation with.")
    var system: String?

    @Option(help: "Use a built-in chat template instead of the model's own (chatml).")
    var chatTemplate: String?

    func run() throws {
        try Terminal.reportingErrors {
            let params = try sampling.params()
            let loaded = try modelOptions.load()
            let template: ChatTemplate
            do {
                template = try loaded.chatTemplate(named: chatTemplate)
            } catch let error as ChatTemplateError {
                throw CLIUsageError.invalidOption("the model's chat template cannot be used: \(error). Pass --chat-template chatml to use ChatML instead.")
            }
            let tokenizer = loaded.tokenizer
            let generator = Generator(
                model: loaded.model, tokenizer: tokenizer,
                contextSize: try modelOptions.contextSize(for: loaded.model), threadCount: modelOptions.threadCount)
            let interactive = Terminal.inputIsTerminal
            let initial = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
            var messages = initial
            if interactive { Terminal.note("Chatting with \(loaded.model.config.name). /reset starts over, /exit or Ctrl-D quits.") }
            while true {
                if interactive { Terminal.write("> ") }
                guard let line = readLine() else { break }
                let input = line.trimmingCharacters(in: .whitespaces)
                if input.isEmpty { continue }
                if input == "/exit" || input == "/quit" { break }
                if input == "/reset" {
                    messages = initial
                    continue
                }
                messages.append(ChatMessage(role: "user", content: input))
                let text = try template.render(
                    messages: messages, addGenerationPrompt: true,
                    bosToken: tokenizer.bosToken.map(tokenizer.tokenText) ?? "",
                    eosToken: tokenizer.eosToken.map(tokenizer.tokenText) ?? "")
                let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
                var reply = ""
                let stats: GenerationStats
                do {
                    stats = try generator.generate(prompt: tokens, params: params) { piece in
                        reply += piece
                        Terminal.write(piece)
                        return true
                    }
                } catch ModelError.promptTooLong(let count, let size) {
                    Terminal.note("\nerror: the conversation is \(count) tokens, more than the context of \(size). Type /reset or raise --ctx-size.")
                    messages.removeLast()
                    continue
                }
                Terminal.write("\n")
                if interactive { Terminal.note(Terminal.summary(stats)) }
                messages.append(ChatMessage(role: "assistant", content: reply.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }
}
