import Foundation

/// The official `openai` Python package, run as a client process against a live server.
///
/// Never skipped: these tests always run. A missing package is installed into a test venv
/// (see `requireInstalled`); if that fails too, they fail with the install command.
enum PythonOpenAIClient {
    /// The version `.ci/run` installs; keep the two in step.
    static let pinnedVersion = "3.57.0"

    struct Missing: Error, CustomStringConvertible {
        let detail: String
        var description: String {
            "the official openai Python package is needed for this test and could not be imported (\(detail)). Install it with "
                + "`python3 -m pip install --user --break-system-packages openai==\(PythonOpenAIClient.pinnedVersion)` "
                + "(as .ci/run does), or point TERN_PYTHON at a python3 that has it."
        }
    }

    struct Output: Sendable {
        let status: Int32
        let stdout: Data
        let stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// A script under bench/ at the package root.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("bench/\(name)").path
    }

    /// Throws `Missing` unless an interpreter can import `openai`. When the default python3
    /// lacks it (and TERN_PYTHON is not set), the pinned version is installed once into a
    /// virtual environment under $TERN_HOME/test-fixtures, as the tests fetch the model: the
    /// README's test command then works on a fresh machine with python3 and network access.
    static func requireInstalled() async throws {
        var output = try await importCheck()
        if output.status != 0, explicitInterpreter == nil {
            try await provisionEnvironment()
            output = try await importCheck()
        }
        guard output.status == 0 else { throw Missing(detail: output.stderr.split(separator: "\n").last.map(String.init) ?? "") }
        let version = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if version != pinnedVersion { print("note: openai \(version) is installed; CI pins \(pinnedVersion)") }
    }

    private static func importCheck() async throws -> Output {
        do {
            return try await run(["-c", "import openai; print(openai.__version__)"])
        } catch {
            throw Missing(detail: "python3 could not be started: \(error)")
        }
    }

    private static var explicitInterpreter: String? {
        ProcessInfo.processInfo.environment["TERN_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// $TERN_HOME/test-fixtures/python-openai-<version>: a venv with the pinned client.
    private static var environmentFolder: URL {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["TERN_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/tern")
        return home.appendingPathComponent("test-fixtures/python-openai-\(pinnedVersion)")
    }

    /// The interpreter to run: TERN_PYTHON, else the provisioned venv's, else python3.
    static var interpreter: String {
        if let explicit = explicitInterpreter { return explicit }
        let provisioned = environmentFolder.appendingPathComponent("bin/python3").path
        return FileManager.default.isExecutableFile(atPath: provisioned) ? provisioned : "python3"
    }

    /// Builds the venv in a private folder and renames it into place, so concurrent tests
    /// never see a half-installed environment (the loser of a race discards its copy).
    private static func provisionEnvironment() async throws {
        let final = environmentFolder
        if FileManager.default.fileExists(atPath: final.path) { return }
        try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        let scratch = final.deletingLastPathComponent().appendingPathComponent(".python-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let venv = try await run(["-m", "venv", scratch.path], interpreter: "python3")
        guard venv.status == 0 else { throw Missing(detail: "python3 -m venv failed: \(venv.stderr)") }
        let pip = try await run(
            ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "openai==\(pinnedVersion)"],
            interpreter: scratch.appendingPathComponent("bin/python3").path)
        guard pip.status == 0 else { throw Missing(detail: "pip install openai==\(pinnedVersion) failed: \(pip.stderr)") }
        try? FileManager.default.moveItem(at: scratch, to: final)
    }

    /// Runs the interpreter (`TERN_PYTHON`, else `python3` on the PATH) with `arguments`,
    /// writing `input` to its standard input. Blocking pipe reads happen on a Dispatch thread,
    /// never on the cooperative pool that the server under test needs.
    static func run(_ arguments: [String], input: Data = Data(), interpreter python: String = interpreter) async throws
        -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("tern-python-\(UUID().uuidString).txt")
        guard FileManager.default.createFile(atPath: stderrFile.path, contents: nil) else {
            throw Missing(detail: "no temporary file for python3's errors at \(stderrFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: stderrFile) }
        let stderr = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let (status, data): (Int32, Data) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                    try stdin.fileHandleForWriting.write(contentsOf: input)
                    try stdin.fileHandleForWriting.close()
                    let data = stdout.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, data))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        try stderr.close()
        let errors = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return Output(status: status, stdout: data, stderr: errors)
    }
}
