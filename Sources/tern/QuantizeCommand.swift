import ArgumentParser
import Foundation
import Tern

/// `tern quantize IN.gguf OUT.gguf --type T`: writes a model in another weight format.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Convert a GGUF model's weights to another format (8-bit, 4-bit, ..., or back to f16/f32).",
        discussion: """
            Like llama-quantize: norms and other 1-D tensors stay as they are; the token embeddings \
            and the output head keep at least q8_0 unless --pure or the flags below say otherwise; \
            a tensor whose rows are not whole blocks of the format falls back to a compatible one, \
            with a note. The output is written to a temporary file and renamed into place when \
            complete, so a failed or interrupted run never leaves a truncated file. \
            Valid types: \(QuantizationOptions.targetFormats.map(\.name).joined(separator: ", ")).
            """)

    @Argument(help: "The GGUF model to read (never modified).")
    var input: String

    @Argument(help: "The GGUF file to write.")
    var output: String

    @Option(help: "The weight format, e.g. q4_0, q8_0, f16 or f32.")
    var type: String

    @Option(help: "Format of the output head (output.weight, or tied token embeddings).")
    var outputType: String?

    @Option(help: "Format of the token embeddings (token_embd.weight).")
    var embeddingType: String?

    @Option(
        name: .customLong("tensor-type"),
        help: "REGEX=TYPE: tensors whose name matches REGEX get TYPE (repeatable; the first match wins).")
    var tensorTypes: [String] = []

    @Flag(help: "Use --type for every quantizable tensor, with no higher precision for embeddings and output head.")
    var pure = false

    @Option(name: .shortAndLong, help: "Threads converting rows. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...512).contains(threads) {
            throw ValidationError("--threads must be between 1 and 512, got \(threads).")
        }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let options = try QuantizationOptions(
                type: QuantizationOptions.format(named: type),
                outputType: outputType.map { name throws(QuantizeError) in try QuantizationOptions.format(named: name) },
                embeddingType: embeddingType.map { name throws(QuantizeError) in
                    try QuantizationOptions.format(named: name)
                },
                overrides: tensorTypes.map { argument throws(QuantizeError) in try TensorTypeOverride(parsing: argument) },
                pure: pure,
                threadCount: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let bar = ProgressBar(enabled: isatty(2) == 1)
            let interrupt = InterruptFlag()
            let summary: QuantizationSummary
            do {
                summary = try Quantizer(options: options).quantize(input: input, output: output) { progress in
                    bar.show(progress)
                    return !interrupt.isSet
                }
            } catch QuantizeError.cancelled {
                bar.finish()
                Terminal.note("interrupted: nothing was written to '\(output)'.")
                throw ExitCode(130)
            }
            bar.finish()
            for note in summary.plan.notes { Terminal.note("note: \(note)") }
            print("wrote \(output): \(summary.line)")
        }
    }
}

/// Ctrl-C (SIGINT) or SIGTERM during a run: instead of dying with the temporary file
/// half written, the run stops at the next slab of rows and the temporary is deleted.
private final class InterruptFlag: @unchecked Sendable {  // `set` is guarded by `lock`
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.raise() }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }

    private func raise() {
        lock.lock()
        set = true
        lock.unlock()
    }
}

/// The progress line on a terminal, redrawn only when the percentage or tensor changes.
private final class ProgressBar {
    let enabled: Bool
    private var last: (percent: Int, tensors: Int) = (-1, -1)

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: QuantizationProgress) {
        guard enabled else { return }
        let percent = Int(progress.fraction * 100)
        guard percent != last.percent || progress.tensorsDone != last.tensors else { return }
        last = (percent, progress.tensorsDone)
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r[\(bar)] \(percent)%  tensor \(progress.tensorsDone)/\(progress.tensorCount)  \(progress.tensorName)"
        FileHandle.standardError.write(Data(line.padding(toLength: 100, withPad: " ", startingAt: 0).utf8))
    }

    func finish() {
        if enabled && last.percent >= 0 { Terminal.note("") }
    }
}
