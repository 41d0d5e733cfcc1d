import Foundation

/// The serving engine: continuous batching over a paged KV cache with prefix caching.
///
/// Requests arrive from any thread or task (`submit`) and stream their tokens back through
/// an `AsyncStream`. One engine thread owns everything else (scheduler, block manager, model
/// runner, per-request samplers) and loops: take new requests and aborts, schedule a step,
/// run it, sample, report. Nothing crosses threads but the mailbox and the streams.
public final class LLMEngine: GenerationService, @unchecked Sendable {
    // @unchecked: the stored properties are immutable; `mailbox` is locked; `core` is touched
    // only by the engine thread.
    public let modelName: String
    public let contextLength: Int
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate
    public let configuration: EngineConfiguration
    private let mailbox = EngineMailbox()
    private let stopped = DispatchSemaphore(value: 0)

    /// Loads nothing: `model` is already loaded. Starts the engine thread.
    public init(
        model: LoadedModel, modelName: String, chatTemplate: ChatTemplate, configuration: EngineConfiguration
    ) throws(EngineConfigurationError) {
        let configuration = try configuration.validated()
        guard configuration.contextLength <= model.model.config.contextLength else {
            throw .invalid(
                "the context length \(configuration.contextLength) exceeds the model's trained context of "
                    + "\(model.model.config.contextLength) tokens")
        }
        self.modelName = modelName
        self.contextLength = configuration.contextLength
        self.tokenizer = model.tokenizer
        self.chatTemplate = chatTemplate
        self.configuration = configuration
        let core = EngineCore(model: model.model, tokenizer: model.tokenizer, configuration: configuration, mailbox: mailbox)
        let thread = Thread { [mailbox, stopped] in
            core.run()
            mailbox.publish(EngineSnapshot())
            stopped.signal()
        }
        thread.name = "tern-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func submit(_ request: GenerationRequest) throws(GenerationError) -> AsyncStream<GenerationEvent> {
        guard !request.promptTokens.isEmpty else { throw .emptyPrompt }
        guard request.promptTokens.count < contextLength else {
            throw .promptTooLong(tokens: request.promptTokens.count, contextLength: contextLength)
        }
        guard request.promptTokens.allSatisfy({ $0 >= 0 && $0 < tokenizer.vocabularySize }) else {
            throw .invalidToken(vocabularySize: tokenizer.vocabularySize)
        }
        do { _ = try request.params.validated() } catch { throw .invalidParameters(error) }
        if let k = request.topLogprobs, !(0...20).contains(k) { throw .invalidLogprobs(k) }

        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let id = try mailbox.submit(request, maxOutstanding: configuration.maxOutstanding, continuation: continuation)
        continuation.onTermination = { [mailbox] termination in
            // The consumer stopped listening before the end: free the request's blocks now.
            if case .cancelled = termination { mailbox.abort(id) }
        }
        return stream
    }

    public func snapshot() -> EngineSnapshot { mailbox.snapshot }

    /// What the engine's self-checks found so far (`EngineConfiguration.checksInvariants`).
    public struct InvariantReport: Sendable, Equatable {
        /// Rounds whose accounting was verified; 0 when checking is off.
        public var checks: Int
        /// The first broken rule, nil while none was found.
        public var firstViolation: InvariantViolation?
    }

    /// The result of the engine thread's invariant checks, which run after every round when
    /// `configuration.checksInvariants` is on.
    public func invariantReport() -> InvariantReport { mailbox.invariantReport }

    /// Stops taking requests, finishes those in flight, and returns when the engine thread
    /// has stopped, or after `deadline` (then requests still running are cancelled).
    public func shutdown(deadline: Duration = .seconds(30)) {
        mailbox.close()
        if stopped.wait(timeout: .now() + deadline.seconds) == .timedOut {
            mailbox.cancelAll()
            stopped.wait()
        }
    }

    deinit {
        mailbox.close()
        mailbox.cancelAll()
    }

    /// Runs `request` to the end on the calling thread's behalf, handing each event to
    /// `onEvent` (from another thread); `onEvent` returns false to stop early, which aborts
    /// the request. For command-line use; servers iterate `submit`'s stream instead.
    public func generate(
        _ request: GenerationRequest, onEvent: @escaping @Sendable (GenerationEvent) -> Bool
    ) throws(GenerationError) -> GenerationSummary? {
        let stream = try submit(request)
        let done = DispatchSemaphore(value: 0)
        let result = SummaryBox()
        Task.detached {
            for await event in stream {
                if case let .finished(summary) = event { result.summary = summary }
                if !onEvent(event) { break }
            }
            done.signal()
        }
        done.wait()
        return result.summary
    }
}

/// Carries the summary out of the consuming task; written once before the semaphore signals.
private final class SummaryBox: @unchecked Sendable {
    var summary: GenerationSummary?
}
