import ArgumentParser
import Foundation
import Tern

/// Writing to the terminal: streamed text to stdout unbuffered, notes and errors to stderr.
enum Terminal {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Redraws a one-line progress bar on stderr: `[#####.....] 5/10 label`.
    static func progress(done: Int, total: Int, label: String) {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label)".utf8))
    }

    /// Whether standard input is an interactive terminal (not a pipe or file).
    static var inputIsTerminal: Bool { isatty(0) == 1 }

    /// Runs `body`, turning any error into its message on stderr and exit code 1.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            note("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// The one-line summary printed after a generation.
    static func summary(_ s: GenerationStats) -> String {
        let prefill = s.promptTokens - s.cachedPromptTokens
        return String(
            format: "prompt: %d tokens (%d cached), %.1f tok/s | generated: %d tokens, %.1f tok/s | %@",
            s.promptTokens, s.cachedPromptTokens, prefill > 0 ? s.prefillTokensPerSecond : 0,
            s.generatedTokens, s.decodeTokensPerSecond, s.finishReason.rawValue)
    }
}
