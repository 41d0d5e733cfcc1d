#if os(Linux) && arch(x86_64)
import Foundation
import Testing

/// The aarch64 kernels (the "neon" and "neon-dotprod" tables) run on no CPU of
/// this machine, so these tests cross-compile `Tests/CrossArch/kernel_check.c`
/// with the C kernel sources for aarch64 (clang as SwiftPM runs it: no `-march`,
/// so the dot-product code is enabled per function, as in a real build) and run
/// it under qemu-aarch64 user-mode emulation. The program compares every
/// function of those tables with the portable table on random data and prints
/// one line per check. (On an arm64 host the other suites run NEON natively.)
@Suite("aarch64 kernels under emulation")
struct CrossArchitectureTests {
    /// qemu CPU models: with the dot-product extension and without it.
    enum CPUModel: String, CaseIterable, Sendable, CustomStringConvertible {
        case max
        case cortexA57 = "cortex-a57"

        var hasDotProduct: Bool { self == .max }
        var description: String { rawValue }
    }

    @Test("The NEON tables match the portable table, and dispatch follows the CPU's features",
          arguments: CPUModel.allCases)
    func neonMatchesPortable(cpu: CPUModel) throws {
        let program: URL
        switch CrossBuild.checker {
        case .success(let url): program = url
        case .failure(let error):
            Issue.record("\(error)")
            return
        }
        let run = try CrossBuild.run(
            "qemu-aarch64", ["-cpu", cpu.rawValue, program.path, cpu.hasDotProduct ? "dotprod" : "nodotprod"])
        let lines = run.output.split(separator: "\n")
        let failed = lines.filter { $0.hasPrefix("FAIL") || $0.hasPrefix("     first difference") }
        #expect(
            run.status == 0,
            """
            kernel_check under qemu-aarch64 -cpu \(cpu) failed:
            \(failed.joined(separator: "\n"))
            \(lines.suffix(1).joined())
            """)
        // Enough checks ran: both tables with a dot product, one without.
        let passed = lines.filter { $0.hasPrefix("ok") }.count
        #expect(passed >= (cpu.hasDotProduct ? 600 : 300), "only \(passed) checks passed:\n\(run.output.suffix(2000))")
    }
}

/// Builds kernel_check for aarch64 once per test process.
private enum CrossBuild {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What each tool is for and where it comes from, for the failure message.
    static let tools: [(command: String, package: String)] = [
        ("clang", "the Swift toolchain's clang (put the toolchain's usr/bin on PATH)"),
        ("aarch64-linux-gnu-gcc", "Debian/Ubuntu package gcc-aarch64-linux-gnu (links against its aarch64 libc)"),
        ("qemu-aarch64", "Debian/Ubuntu package qemu-user (user-mode emulation)"),
    ]

    static let checker: Result<URL, Failure> = Result(catching: build).mapError {
        $0 as? Failure ?? Failure(description: "\($0)")
    }

    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func find(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func build() throws -> URL {
        let missing = tools.filter { find($0.command) == nil }
        if !missing.isEmpty {
            let list = missing.map { "  \($0.command): install \($0.package)" }.joined(separator: "\n")
            throw Failure(description: """
                The aarch64 kernel check needs tools that are not on PATH:
                \(list)
                e.g. `apt-get install gcc-aarch64-linux-gnu qemu-user` (as .ci/run does).
                """)
        }
        let sources = packageRoot.appendingPathComponent("Sources/CTernKernels")
        let include = sources.appendingPathComponent("include").path
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tern-crossarch-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path)
            .filter { $0.hasSuffix(".c") }.sorted().map { sources.appendingPathComponent($0).path }
            + [packageRoot.appendingPathComponent("Tests/CrossArch/kernel_check.c").path]
        // One clang per file, all at once: the compiles dominate the test's time.
        var objects: [String] = []
        var compiles: [(file: String, process: Process, pipe: Pipe)] = []
        for (index, file) in files.enumerated() {
            let object = directory.appendingPathComponent("\(index)-\(URL(fileURLWithPath: file).lastPathComponent).o").path
            objects.append(object)
            let arguments = ["--target=aarch64-linux-gnu", "-O2", "-I", include, "-c", file, "-o", object]
            let (process, pipe) = try start("clang", arguments)
            compiles.append((file, process, pipe))
        }
        for compile in compiles {
            let output = String(decoding: compile.pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            compile.process.waitUntilExit()
            if compile.process.terminationStatus != 0 {
                throw Failure(description: "clang --target=aarch64-linux-gnu failed on \(compile.file):\n\(output)")
            }
        }
        let program = directory.appendingPathComponent("kernel_check").path
        let link = try run("aarch64-linux-gnu-gcc", ["-static", "-o", program] + objects + ["-lm", "-lpthread"])
        if link.status != 0 { throw Failure(description: "linking kernel_check for aarch64 failed:\n\(link.output)") }
        for object in objects { try? FileManager.default.removeItem(atPath: object) }
        return URL(fileURLWithPath: program)
    }

    private static func start(_ command: String, _ arguments: [String]) throws -> (Process, Pipe) {
        guard let path = find(command) else { throw Failure(description: "\(command) is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    /// Runs `command` to the end; its stdout and stderr together.
    static func run(_ command: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let (process, pipe) = try start(command, arguments)
        // Read before waiting: the checker prints more than a pipe buffer holds.
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
#endif
