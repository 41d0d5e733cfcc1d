import Foundation
import Tern

/// What the handlers see of a request's generations, merged in arrival order.
enum ChoiceEvent: Sendable {
    case token(choice: Int, GeneratedToken)
    /// Exactly once per choice, last.
    case finished(choice: Int, GenerationSummary)
}

/// Starting, merging and stopping the engine streams of one HTTP request (one per choice).
///
/// An engine request is aborted only when its stream terminates early, which for an
/// `AsyncStream` means: the task iterating it is cancelled. Merely leaving a `for await` loop
/// does not terminate it. So every stream is iterated in a child task that is cancelled when
/// the request stops listening, whatever the reason (client gone, write failed, timeout).
enum GenerationRun {
    /// Submits every request; if one cannot start, the ones already started are aborted.
    static func start(
        _ requests: [GenerationRequest], on service: any GenerationService
    ) throws(GenerationError) -> [AsyncStream<GenerationEvent>] {
        var streams: [AsyncStream<GenerationEvent>] = []
        for request in requests {
            do {
                streams.append(try service.submit(request))
            } catch {
                abandon(streams)
                throw error
            }
        }
        return streams
    }

    /// Aborts streams nobody will read, by cancelling a task that iterates them.
    static func abandon(_ streams: [AsyncStream<GenerationEvent>]) {
        for stream in streams {
            let task = Task { for await _ in stream {} }
            task.cancel()
        }
    }

    /// Feeds `body` every event of `streams` in arrival order until each choice has finished.
    ///
    /// - Parameters:
    ///   - promptTokens: Prompt length of each choice, for summaries the server has to make up.
    ///   - timeout: When it passes, unfinished choices are aborted and finish with `.length`.
    /// - Throws: What `body` throws (the rest is then aborted), or `CancellationError` when the
    ///   calling task is cancelled (everything is then aborted).
    static func consume(
        _ streams: [AsyncStream<GenerationEvent>], promptTokens: [Int], timeout: Duration?,
        body: (ChoiceEvent) async throws -> Void
    ) async throws {
        enum Item: Sendable {
            case event(Int, GenerationEvent)
            case ended(Int)
            case timedOut
        }
        let (merged, sink) = AsyncStream<Item>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    for await event in stream {
                        sink.yield(.event(index, event))
                        if case .finished = event { break }
                    }
                    sink.yield(.ended(index))
                }
            }
            if let timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    sink.yield(.timedOut)
                }
            }
            defer { group.cancelAll() }
            var open = Set(streams.indices)
            var generated = [Int](repeating: 0, count: streams.count)
            func madeUp(_ choice: Int, _ reason: FinishReason) -> GenerationSummary {
                GenerationSummary(
                    finishReason: reason, promptTokens: promptTokens[choice], cachedPromptTokens: 0,
                    generatedTokens: generated[choice], timeToFirstToken: nil, decodeTime: .zero)
            }
            for await item in merged {
                switch item {
                case let .event(choice, .token(token)):
                    generated[choice] += 1
                    try await body(.token(choice: choice, token))
                case let .event(choice, .finished(summary)):
                    open.remove(choice)
                    try await body(.finished(choice: choice, summary))
                case let .ended(choice):
                    // The engine closed the stream without a summary: it cancelled the request itself.
                    if open.remove(choice) != nil { try await body(.finished(choice: choice, madeUp(choice, .cancelled))) }
                case .timedOut:
                    for choice in open.sorted() { try await body(.finished(choice: choice, madeUp(choice, .length))) }
                    open.removeAll()
                }
                if open.isEmpty { break }
            }
            // The merged stream ends early only when this task is cancelled.
            try Task.checkCancellation()
        }
    }
}

/// The started generations of one request, read exactly once. If the response that holds them
/// is dropped without reading them (the connection closed before the body was written), they
/// are aborted; either way the request's concurrency slot is given back.
final class GenerationLease: @unchecked Sendable {
    // @unchecked: `streams` and `release` are guarded by `lock`.
    private let lock = NSLock()
    private var streams: [AsyncStream<GenerationEvent>]?
    private var release: (@Sendable () -> Void)?

    init(streams: [AsyncStream<GenerationEvent>], release: @escaping @Sendable () -> Void) {
        self.streams = streams
        self.release = release
    }

    /// The streams, the first time; empty after that.
    func take() -> [AsyncStream<GenerationEvent>] {
        lock.withLock {
            defer { streams = nil }
            return streams ?? []
        }
    }

    /// Gives the concurrency slot back (once; later calls do nothing).
    func end() {
        let release = lock.withLock {
            defer { self.release = nil }
            return self.release
        }
        release?()
    }

    deinit {
        if let streams { GenerationRun.abandon(streams) }
        end()
    }
}

/// Counts requests generating at once against an optional limit.
final class ConcurrencyLimiter: @unchecked Sendable {
    // @unchecked: `running` is guarded by `lock`.
    private let lock = NSLock()
    private var running = 0
    let limit: Int?

    init(limit: Int?) {
        self.limit = limit
    }

    /// Takes a slot; false when all are taken.
    func tryAcquire() -> Bool {
        lock.withLock {
            if let limit, running >= limit { return false }
            running += 1
            return true
        }
    }

    func release() {
        lock.withLock { running -= 1 }
    }
}
