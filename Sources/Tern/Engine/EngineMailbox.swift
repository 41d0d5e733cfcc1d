import Foundation

/// Where async callers and the engine thread meet: new requests and aborts go in, the
/// engine's counters come out. The only state both sides touch, behind one lock.
final class EngineMailbox: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `condition`.
    struct Submission {
        let id: Int
        let request: GenerationRequest
        let continuation: AsyncStream<GenerationEvent>.Continuation
        let submitted: ContinuousClock.Instant
    }

    private let condition = NSCondition()
    private var submissions: [Submission] = []
    private var aborts: [Int] = []
    private var nextID = 0
    private var closed = false
    private var cancelling = false
    private var published = EngineSnapshot()
    /// Requests submitted and not yet finished (waiting in the mailbox, or in the scheduler).
    private var outstanding = 0
    private var invariantChecks = 0
    private var firstViolation: InvariantViolation?

    /// Queues `request` unless the engine is closed or `maxOutstanding` requests are already in.
    func submit(
        _ request: GenerationRequest, maxOutstanding: Int,
        continuation: AsyncStream<GenerationEvent>.Continuation
    ) throws(GenerationError) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if closed { throw .shuttingDown }
        if outstanding >= maxOutstanding { throw .queueFull(waiting: published.waitingSequences + submissions.count) }
        let id = nextID
        nextID += 1
        outstanding += 1
        submissions.append(Submission(id: id, request: request, continuation: continuation, submitted: .now))
        condition.signal()
        return id
    }

    /// Asks the engine to drop request `id` (its consumer went away).
    func abort(_ id: Int) {
        condition.lock()
        aborts.append(id)
        condition.signal()
        condition.unlock()
    }

    /// Stops taking requests; the engine finishes what it has.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    /// Ends every request still in the mailbox (used when shutdown's deadline passes).
    func cancelAll() {
        condition.lock()
        let pending = submissions
        submissions.removeAll()
        cancelling = true
        condition.signal()
        condition.unlock()
        for s in pending { s.continuation.finish() }
    }

    /// Whether the engine should cancel what it runs (shutdown's deadline passed).
    var isCancelling: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelling
    }

    /// The engine's side: takes everything posted, waiting first when the engine is idle.
    /// Returns nil when the mailbox is closed and the engine has nothing left to do.
    func take(idle: Bool) -> (submissions: [Submission], aborts: [Int])? {
        condition.lock()
        defer { condition.unlock() }
        while idle && submissions.isEmpty && aborts.isEmpty {
            if closed { return nil }
            condition.wait()
        }
        let taken = (submissions, aborts)
        submissions.removeAll()
        aborts.removeAll()
        return taken
    }

    /// The engine's side: `count` requests have finished (completed, cancelled or aborted).
    func finished(_ count: Int) {
        guard count > 0 else { return }
        condition.lock()
        outstanding -= count
        condition.unlock()
    }

    func publish(_ snapshot: EngineSnapshot) {
        condition.lock()
        published = snapshot
        condition.unlock()
    }

    /// The engine's side: one check of its accounting ran; `violation` is what it found, if anything.
    func recordInvariantCheck(_ violation: InvariantViolation?) {
        condition.lock()
        invariantChecks += 1
        if firstViolation == nil { firstViolation = violation }
        condition.unlock()
    }

    var invariantReport: LLMEngine.InvariantReport {
        condition.lock()
        defer { condition.unlock() }
        return LLMEngine.InvariantReport(checks: invariantChecks, firstViolation: firstViolation)
    }

    var snapshot: EngineSnapshot {
        condition.lock()
        defer { condition.unlock() }
        var s = published
        s.waitingSequences += submissions.count
        return s
    }
}
