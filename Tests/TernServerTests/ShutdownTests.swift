import Foundation
import ServiceLifecycle
import Testing

@testable import TernServer

@Suite("Graceful shutdown")
struct ShutdownTests {
    /// Starts the server's service group on a free port; returns it with the port once listening.
    static func start(_ server: TernServer) async throws -> (ServiceGroup, Task<Void, any Error>, Int) {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let group = server.makeServiceGroup(gracefulShutdownSignals: []) { port in portSink.yield(port) }
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (group, running, port)
    }

    @Test("a request in flight at shutdown finishes; then run returns")
    func inFlightRequestFinishes() async throws {
        let harness = try ServerHarness(script: .init(tokenDelay: .milliseconds(20)))
        let (group, running, port) = try await Self.start(harness.server)
        let socket = try RawHTTPSocket(port: port)
        try socket.sendJSON(path: "/v1/completions", body: #"{"prompt": "x", "max_tokens": 10, "stream": true}"#)
        _ = try await socket.read(until: "Hello", timeout: .seconds(30))
        await group.triggerGracefulShutdown()
        let rest = try await socket.read(until: "[DONE]", timeout: .seconds(30))
        #expect(rest.contains(#""finish_reason":"length""#))
        try await running.value
        #expect(harness.fake.aborts == 0)
        // No longer listening.
        #expect(throws: RawHTTPSocket.Failure.self) { try RawHTTPSocket(port: port) }
    }

    @Test("past the shutdown deadline, what still runs is aborted and run returns")
    func deadlineAborts() async throws {
        let configuration = try ServerConfiguration(port: 0, shutdownDeadline: .milliseconds(200))
        let harness = try ServerHarness(script: .init(stallAfter: 1), configuration: configuration)
        let (group, running, port) = try await Self.start(harness.server)
        let socket = try RawHTTPSocket(port: port)
        try socket.sendJSON(path: "/v1/completions", body: #"{"prompt": "x", "stream": true}"#)
        _ = try await socket.read(until: "Hello", timeout: .seconds(30))
        let start = ContinuousClock.now
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(await harness.fake.wait { $0.aborts == 1 && $0.runningCount == 0 })
    }
}
