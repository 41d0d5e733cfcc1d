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
            let engine = try modelOptions.singleUserEngine(loaded, chatTemplate: template)
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
                let reply = ReplyText()
                let summary: GenerationSummary?
                do {
                    summary = try engine.generate(GenerationRequest(promptTokens: tokens, params: params)) { event in
                        if case let .token(t) = event {
                            reply.append(t.text)
                            Terminal.write(t.text)
                        }
                        return true
                    }
                } catch GenerationError.promptTooLong(let count, let size) {
                    Terminal.note("\nerror: the conversation is \(count) tokens, more than the context of \(size). Type /reset or raise --ctx-size.")
                    messages.removeLast()
                    continue
                }
                Terminal.write("\n")
                if interactive, let summary { Terminal.note(Terminal.summary(GenerationStats(summary))) }
                messages.append(ChatMessage(role: "assistant", content: reply.text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }
}

/// The reply streamed so far, filled from the engine's event handler.
private final class ReplyText: @unchecked Sendable {
    // @unchecked: written by the handler while the command's thread waits, read after.
    private(set) var text = ""
    func append(_ piece: String) { text += piece }
}
