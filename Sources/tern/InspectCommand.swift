import ArgumentParser
import Tern

/// `tern inspect FILE`: prints a GGUF file's header, metadata and tensor table.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a GGUF file's metadata and tensors.",
        discussion: "Long arrays (such as the vocabulary) and long strings (such as the chat template) are shortened unless --all is given."
    )

    @Argument(help: "The GGUF file to inspect.")
    var file: String

    @Flag(name: .long, help: "Print every array element and whole strings instead of summaries.")
    var all = false

    func run() throws {
        let gguf = try GGUFFile(path: file)
        print(GGUFInspector.report(gguf, summarizeArraysLongerThan: all ? nil : 16), terminator: "")
    }
}
