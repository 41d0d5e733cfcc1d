import Foundation
import HummingbirdTesting
import Testing

@testable import TernServer

/// The official `openai` Python package as the client, over a real socket. Runs when
/// `TERN_OPENAI_CHECK=1` (CI installs the package with `pip install openai` first).
@Suite("The official openai Python client, unchanged")
struct OpenAIClientTests {
    static let enabled = ProcessInfo.processInfo.environment["TERN_OPENAI_CHECK"] == "1"

    /// bench/openai_client_check.py at the package root.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bench/openai_client_check.py")

    @Test("chat and completions, streamed and not, stop strings, seeds, n, logprobs, errors", .enabled(if: enabled))
    func officialClient() async throws {
        let harness = try ServerHarness(script: .init(endAfter: 12))
        try await harness.run(.live) { client in
            let port = try #require(client.port)
            let (status, output) = try await Self.runPython([
                Self.script.path, "--base-url", "http://127.0.0.1:\(port)/v1",
            ])
            #expect(status == 0, "openai_client_check.py failed:\n\(output)")
        }
    }

    /// Runs python3 without blocking a thread of the cooperative pool.
    static func runPython(_ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, output)
    }
}
