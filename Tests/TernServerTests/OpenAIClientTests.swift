import Foundation
import HummingbirdTesting
import Testing

@testable import TernServer

/// The official `openai` Python package as the client of the server over the scripted fake
/// engine, over a real socket (bench/openai_client_check.py). Always runs: a missing package
/// fails the test with the install command (`.ci/run` installs it).
@Suite("The official openai Python client, unchanged")
struct OpenAIClientTests {
    @Test("chat and completions, streamed and not, stop strings, seeds, n, logprobs, errors")
    func officialClient() async throws {
        try await PythonOpenAIClient.requireInstalled()
        let harness = try ServerHarness(script: .init(endAfter: 12))
        try await harness.run(.live) { client in
            let port = try #require(client.port)
            let output = try await PythonOpenAIClient.run([
                PythonOpenAIClient.script("openai_client_check.py"), "--base-url", "http://127.0.0.1:\(port)/v1",
            ])
            #expect(output.status == 0, "openai_client_check.py failed:\n\(output.text)\n\(output.stderr)")
        }
    }
}
