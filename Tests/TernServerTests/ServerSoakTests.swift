import Foundation
import Tern
import Testing

@testable import TernServer

/// Hundreds of requests against the real engine over HTTP, with clients that hang up, on a KV
/// cache and batch small enough that requests queue, get refused (429) and get preempted.
/// Seeded, so every run sends the same requests in the same order from each client.
@Suite("Soak: the real engine behind the server, with clients that hang up", .serialized)
struct ServerSoakTests {
    static let requestCount = 300
    static let clients = 10

    enum HangUp: Sendable {
        case never
        /// Close as soon as the request is sent: before any response.
        case afterSending
        /// Close while the request is (most likely) queued or generating.
        case afterDelay(milliseconds: Int)
        /// Close after this many server-sent events of a stream.
        case afterEvents(Int)
    }

    enum Outcome: Sendable, Equatable {
        case completed, busy, hungUp
        case failed(String)
    }

    /// A request body, as clients send it (nil fields are left out).
    struct Body: Encodable {
        var messages: [ChatMessage]?
        var prompt: String?
        var max_tokens: Int
        var temperature: Double
        var seed: Int?
        var stop: [String]?
        var n: Int?
        var stream: Bool
    }

    struct Plan: Sendable {
        let path: String
        let json: String
        let stream: Bool
        let choices: Int
        let hangUp: HangUp

        static let texts = [
            "Hi", "Tell me a joke.", "What is 2+2?", "Name a colour.", "Count to five.", "Once upon a time",
            "The sky is", "Swift is a",
        ]
        static let stops = [[" the"], ["."], ["\n", "!"], [","]]

        static func random(using random: inout RandomGenerator) throws -> Plan {
            let chat = Bool.random(using: &random)
            let text = texts.randomElement(using: &random) ?? "Hi"
            var body = Body(
                max_tokens: Int.random(in: 1...8, using: &random),
                temperature: Bool.random(using: &random) ? 0 : 0.8, stream: Bool.random(using: &random))
            if chat { body.messages = [ChatMessage(role: "user", content: text)] } else { body.prompt = text }
            if body.temperature > 0 { body.seed = Int.random(in: 0..<1000, using: &random) }
            if Int.random(in: 0..<10, using: &random) < 3 { body.stop = stops.randomElement(using: &random) }
            if Int.random(in: 0..<10, using: &random) == 0 { body.n = 2 }
            let hangUp: HangUp
            switch Int.random(in: 0..<10, using: &random) {
            case 0: hangUp = .afterSending
            case 1: hangUp = .afterDelay(milliseconds: Int.random(in: 5...60, using: &random))
            case 2: hangUp = body.stream ? .afterEvents(Int.random(in: 1...3, using: &random)) : .afterDelay(milliseconds: 20)
            default: hangUp = .never
            }
            let json = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
            return Plan(
                path: chat ? "/v1/chat/completions" : "/v1/completions", json: json, stream: body.stream,
                choices: body.n ?? 1, hangUp: hangUp)
        }
    }

    /// Sends `plan` on its own connection and reads (or abandons) the response.
    static func perform(_ plan: Plan, port: Int) async -> Outcome {
        do {
            let socket = try RawHTTPSocket(port: port)
            defer { socket.close() }
            try socket.sendJSON(path: plan.path, body: plan.json)
            switch plan.hangUp {
            case .afterSending:
                return .hungUp
            case let .afterDelay(milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
                return .hungUp
            case let .afterEvents(count):
                // Or fewer, when the stream is shorter or the request was refused.
                _ = try await socket.read(timeout: .seconds(30), description: "\(count) events") { text in
                    text.components(separatedBy: "data: ").count > count || text.contains("[DONE]")
                        || (text.contains("\r\n\r\n") && !text.hasPrefix("HTTP/1.1 200"))
                }
                return .hungUp
            case .never:
                let (status, _, body) = try await socket.readResponse(timeout: .seconds(30))
                if status == 429 {
                    // A polite client waits a little before its next request.
                    try await Task.sleep(for: .milliseconds(100))
                    return .busy
                }
                guard status == 200 else { return .failed("HTTP \(status) for \(plan.json): \(body)") }
                return check(body, of: plan).map { .failed("\($0) for \(plan.json): \(body)") } ?? .completed
            }
        } catch {
            return .failed("\(error) for \(plan.json)")
        }
    }

    /// What is wrong with a 200 response's body, or nil.
    static func check(_ body: String, of plan: Plan) -> String? {
        if plan.stream {
            guard body.hasSuffix("data: [DONE]\n\n") else { return "the stream does not end with [DONE]" }
            let finishes = body.components(separatedBy: #""finish_reason":""#).count - 1
            return finishes == plan.choices ? nil : "\(finishes) finish reasons for \(plan.choices) choices"
        }
        guard let json = try? JSONValue(parsing: Array(body.utf8)) else { return "not JSON" }
        let reasons = (0..<plan.choices).map { json["choices"][$0]["finish_reason"].string }
        guard reasons.allSatisfy({ $0 == "stop" || $0 == "length" }) else { return "finish reasons \(reasons)" }
        return json["usage"]["completion_tokens"].int == nil ? "no usage" : nil
    }

    @Test("mixed requests with hang-ups leave every KV block free, the accounting intact, and the server answering")
    func soak() async throws {
        // Blocks of 4 positions, so that decoding keeps allocating; 16 of them for up to 4
        // sequences of 40-50 positions (the chat template's system prompt shared): preemption.
        // At most 11 choices admitted for 10 clients, some asking for 2 and some gone: a few 429s.
        let engine = try LiveEngine.make(
            contextLength: 64, kvCacheTokens: 64, blockSize: 4, maxSequences: 4, maxBatchedTokens: 64, maxOutstanding: 11,
            checksInvariants: true)
        defer { engine.shutdown() }
        var random = RandomGenerator(seed: 20_261_127)
        let plans = try (0..<Self.requestCount).map { _ in try Plan.random(using: &random) }
        let start = ContinuousClock.now

        try await LiveEngine.serve(engine) { port in
            // The busiest the engine got: most sequences running, waiting, and KV blocks in use.
            let watcher = Task {
                var busiest = (running: 0, waiting: 0, blocks: 0)
                while !Task.isCancelled {
                    let s = engine.snapshot()
                    busiest = (
                        max(busiest.running, s.runningSequences), max(busiest.waiting, s.waitingSequences),
                        max(busiest.blocks, s.kvBlocksUsed)
                    )
                    try? await Task.sleep(for: .milliseconds(5))
                }
                return busiest
            }
            let outcomes = await withTaskGroup(of: [Outcome].self) { group in
                for client in 0..<Self.clients {
                    group.addTask {
                        var outcomes: [Outcome] = []
                        for index in stride(from: client, to: plans.count, by: Self.clients) {
                            outcomes.append(await Self.perform(plans[index], port: port))
                        }
                        return outcomes
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            let elapsed = ContinuousClock.now - start
            watcher.cancel()
            let busiest = await watcher.value
            let failures = outcomes.compactMap { if case let .failed(message) = $0 { message } else { nil } }
            let completed = outcomes.count { $0 == .completed }
            let busy = outcomes.count { $0 == .busy }
            let hungUp = outcomes.count { $0 == .hungUp }
            #expect(failures.isEmpty, "\(failures.count) requests failed; the first: \(failures.prefix(3))")
            #expect(completed + busy + hungUp + failures.count == plans.count)
            // How many get refused depends on the machine's speed; most of the rest must complete.
            #expect(completed >= plans.count / 4, "only \(completed) of \(plans.count) completed (\(busy) refused)")

            // Hung-up requests are aborted (or finish); then nothing may be left behind.
            let snapshot = try await LiveEngine.waitUntilIdle(engine)
            #expect(snapshot.runningSequences == 0 && snapshot.waitingSequences == 0)
            #expect(snapshot.kvBlocksUsed == 0)
            #expect(snapshot.kvBlocksFree == engine.configuration.blockCount)
            #expect(snapshot.preemptions > 0, "the KV cache was meant to be small enough to preempt")
            let report = engine.invariantReport()
            #expect(report.checks > 0, "the engine never checked its accounting")
            #expect(report.firstViolation == nil, "\(report.firstViolation?.description ?? "")")

            // And the server still answers.
            let socket = try RawHTTPSocket(port: port)
            try socket.sendJSON(path: "/v1/completions", body: #"{"prompt": "The sky is", "max_tokens": 4, "temperature": 0}"#)
            let (status, _, body) = try await socket.readResponse(timeout: .seconds(10))
            #expect(status == 200, "\(body)")
            #expect(try JSONValue(parsing: Array(body.utf8))["object"].string == "text_completion")
            print(
                "soak: \(plans.count) requests from \(Self.clients) clients in \(elapsed): \(completed) completed, "
                    + "\(busy) refused (429), \(hungUp) hung up; \(snapshot.preemptions) preemptions, "
                    + "\(report.checks) invariant checks; at most \(busiest.running) running, \(busiest.waiting) waiting, "
                    + "\(busiest.blocks) of \(engine.configuration.blockCount) KV blocks used")
        }
    }
}
