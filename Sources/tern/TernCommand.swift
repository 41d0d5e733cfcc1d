import ArgumentParser

@main
struct TernCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Run and compress large language models on ordinary CPUs.",
        discussion: """
            With no --model, Tern uses SmolLM2-135M-Instruct from its model store \
            ($TERN_HOME, default ~/.cache/tern), obtaining it on first use.
            """,
        subcommands: [
            GenerateCommand.self, ChatCommand.self, EvalCommand.self, BenchCommand.self, InspectCommand.self,
            PullCommand.self, QuantizeCommand.self, ServeCommand.self,
        ]
    )
}
