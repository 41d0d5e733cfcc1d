import Foundation

/// The official `openai` Python package, run as a client process against a live server.
///
/// Never skipped: these tests always run, and fail with the install command when python3 or
/// the package is missing. `.ci/run` installs the pinned version before the tests.
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

    /// Throws `Missing` unless the interpreter can import `openai`.
    static func requireInstalled() async throws {
        let output: Output
        do {
            output = try await run(["-c", "import openai; print(openai.__version__)"])
        } catch {
            throw Missing(detail: "python3 could not be started: \(error)")
        }
        guard output.status == 0 else { throw Missing(detail: output.stderr.split(separator: "\n").last.map(String.init) ?? "") }
        let version = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if version != pinnedVersion { print("note: openai \(version) is installed; CI pins \(pinnedVersion)") }
    }

    /// Runs the interpreter (`TERN_PYTHON`, else `python3` on the PATH) with `arguments`,
    /// writing `input` to its standard input. Blocking pipe reads happen on a Dispatch thread,
    /// never on the cooperative pool that the server under test needs.
    static func run(_ arguments: [String], input: Data = Data()) async throws -> Output {
        let python = ProcessInfo.processInfo.environment["TERN_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
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
