import ArgumentParser
import Foundation
import Tern
import TernKernels

/// `tern bench`: llama-bench's measurements and table, so the two tools read side by side.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing and text generation speed, as llama-bench does.",
        discussion: """
            Each test runs once to warm up, then --repetitions times from an empty cache on random \
            tokens; prompts are processed in micro-batches of 512 tokens. Prints llama-bench's markdown \
            table (t/s: mean ± standard deviation) or, with --json, a JSON array of rows.
            """)

    @Option(name: .shortAndLong, help: "Path to a GGUF model. Default: SmolLM2-135M-Instruct, obtained on first use.")
    var model: String?

    @Option(name: .shortAndLong, help: "Threads for computation. Default: all cores.")
    var threads: Int?

    @Option(name: [.customShort("p"), .customLong("n-prompt")], help: "Prompt lengths to prefill, comma-separated (pp tests); 0 skips them.")
    var promptLengths = "512"

    @Option(name: [.customShort("n"), .customLong("n-gen")], help: "Tokens to generate, comma-separated (tg tests); 0 skips them.")
    var generationLengths = "128"

    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Timed runs per test.")
    var repetitions = 5

    @Option(help: "Also measure decoding this many sequences together (a tg row per -n value, e.g. tg128@b16).")
    var batch: Int?

    @Flag(help: "Also measure memory read bandwidth and report decode speed as a fraction of it.")
    var bandwidth = false

    @Option(help: "MiB the bandwidth probe reads per run.")
    var bandwidthMib = 1024

    @Flag(help: "Print a JSON array of rows instead of the table.")
    var json = false

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let threads, !(1...512).contains(threads) {
            throw ValidationError("--threads must be between 1 and 512, got \(threads).")
        }
        let prompts = try Self.lengths(promptLengths, flag: "-p/--n-prompt")
        let generations = try Self.lengths(generationLengths, flag: "-n/--n-gen")
        guard !(prompts.isEmpty && generations.isEmpty) else {
            throw ValidationError("Nothing to measure: -p and -n are both 0. Give a prompt length or a token count.")
        }
        guard repetitions >= 1 else { throw ValidationError("-r/--repetitions must be at least 1, got \(repetitions).") }
        guard bandwidthMib >= 1 else { throw ValidationError("--bandwidth-mib must be at least 1, got \(bandwidthMib).") }
        if let batch, !(1...1024).contains(batch) {
            throw ValidationError("--batch must be between 1 and 1024 sequences, got \(batch).")
        }
    }

    /// Parses `512,2048` into token counts; a 0 (as in llama-bench's `-p 0`) skips that kind of test.
    static func lengths(_ text: String, flag: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            // Trimmed without Foundation's CharacterSet: its code and tables would be resident
            // for the whole benchmark, adding to the peak memory the benchmark reports on.
            var trimmed = part
            while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
            while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
            guard let n = Int(trimmed) else {
                throw ValidationError("\(flag) expects token counts separated by commas, e.g. 512,2048; got '\(text)'.")
            }
            guard n >= 0 else { throw ValidationError("\(flag) values must be 0 (skip) or more, got \(n).") }
            return n
        }.filter { $0 > 0 }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let path = try model ?? ModelStore().ensureDefaultModel { Terminal.note($0) }
            // Random token ids need no tokenizer; not building one keeps its ~MBs out of peak RSS.
            let model = try LlamaModel(file: GGUFFile(path: path))
            let footprint = ModelFootprint(model: model)
            let tests = try Self.lengths(promptLengths, flag: "-p").map { BenchmarkTest.promptProcessing(tokens: $0) }
                + Self.lengths(generationLengths, flag: "-n").map { BenchmarkTest.textGeneration(tokens: $0) }
                + (batch.map { b in
                    try Self.lengths(generationLengths, flag: "-n").map { BenchmarkTest.batchedGeneration(tokens: $0, sequences: b) }
                } ?? [])

            let benchmark = Benchmark(model: model, threadCount: threadCount)
            if !json { line(BenchmarkTable.header) }
            var results: [BenchmarkResult] = []
            for test in tests {
                let seconds = benchmark.measure(test, repetitions: repetitions)
                let result = BenchmarkResult(
                    test: test, seconds: seconds, path: path, model: model, footprint: footprint,
                    threadCount: benchmark.pool.threadCount)
                results.append(result)
                if !json { line(BenchmarkTable.row(result)) }
            }

            var bandwidthLines: [String] = []
            if bandwidth {
                bandwidthLines = measureBandwidth(pool: benchmark.pool, results: &results)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
                line(String(decoding: try encoder.encode(results), as: UTF8.self))
            } else {
                line("")
                line(String(format: "weights read per decoded token: %.2f MiB", Double(footprint.weightBytesPerToken) / 1_048_576))
                for text in bandwidthLines { line(text) }
            }
        }
    }

    /// Writes `text` and a newline to stdout at once, so rows appear as they are measured.
    private func line(_ text: String) {
        Terminal.write(text + "\n")
    }

    /// Probes read bandwidth with one thread and with the benchmark's threads, fills in each
    /// tg row's fraction of the limit, and returns the report lines.
    private func measureBandwidth(pool: ThreadPool, results: inout [BenchmarkResult]) -> [String] {
        let probe = BandwidthProbe(byteCount: bandwidthMib << 20)
        var lines = ["", "| threads |          read GB/s |", "| ------: | -----------------: |"]
        var limit = 0.0
        let pools = pool.threadCount == 1 ? [pool] : [ThreadPool(threadCount: 1), pool]
        for p in pools {
            let samples = probe.measure(pool: p, repetitions: 3)
            let (mean, deviation) = BenchmarkResult.meanAndDeviation(samples)
            limit = mean
            let cell = String(format: "%.2f ± %.2f", mean / 1e9, deviation / 1e9)
            lines.append(String(format: "| %7d | ", p.threadCount) + String(repeating: " ", count: max(0, 18 - cell.count)) + cell + " |")
        }
        lines.append("")
        for i in results.indices {
            guard let bytes = results[i].weightBytesPerToken, limit > 0 else { continue }
            let rate = Double(bytes) * results[i].averageTokensPerSecond
            results[i].fractionOfBandwidth = rate / limit
            lines.append(String(
                format: "%@: %.2f GB/s of weights read = %.1f%% of the %d-thread read bandwidth (%.2f GB/s)",
                results[i].test, rate / 1e9, 100 * rate / limit, pool.threadCount, limit / 1e9))
        }
        return lines
    }
}
