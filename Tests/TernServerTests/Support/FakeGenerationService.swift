import Foundation
import Tern

/// A `GenerationService` with scripted behaviour: deterministic tokens, optional delays or
/// stalls, refusals on demand, and a record of every request and every abort.
///
/// Token i of a request is the word `words[i % words.count]`, with token id
/// `firstTokenID + (seed % 1000) + i`; so choices with different seeds differ in their ids.
final class FakeGenerationService: GenerationService, @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    struct Script: Sendable {
        var words = ["Hello", " world", ",", " this", " is", " Tern", "."]
        /// Emit end-of-generation after this many tokens (nil: run to max_tokens).
        var endAfter: Int?
        var tokenDelay: Duration = .zero
        /// After this many tokens, wait until aborted.
        var stallAfter: Int?
        /// Refuse every submission with this error.
        var refusal: GenerationError?
        /// Refuse with queueFull once this many requests are running.
        var queueLimit: Int?
    }

    let modelName = "smollm2-test"
    let contextLength: Int
    let tokenizer: Tokenizer
    let chatTemplate: ChatTemplate
    static let firstTokenID = 1000

    private let lock = NSLock()
    private var script: Script
    private var submittedRequests: [GenerationRequest] = []
    private var abortCount = 0
    private var running = 0
    private var snapshotValue = EngineSnapshot()

    init(script: Script = Script(), contextLength: Int = 256) throws {
        let vocabulary = try TestModel.vocabulary()
        tokenizer = vocabulary.tokenizer
        chatTemplate = vocabulary.template
        self.contextLength = contextLength
        self.script = script
    }

    var submitted: [GenerationRequest] { lock.withLock { submittedRequests } }
    var aborts: Int { lock.withLock { abortCount } }
    var runningCount: Int { lock.withLock { running } }

    /// Waits (up to `timeout`) until `condition` holds; returns whether it did.
    func wait(upTo timeout: Duration = .seconds(30), until condition: (FakeGenerationService) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    func submit(_ request: GenerationRequest) throws(GenerationError) -> AsyncStream<GenerationEvent> {
        lock.lock()
        let script = self.script
        if let refusal = script.refusal {
            lock.unlock()
            throw refusal
        }
        if request.promptTokens.isEmpty {
            lock.unlock()
            throw .emptyPrompt
        }
        if request.promptTokens.count >= contextLength {
            lock.unlock()
            throw .promptTooLong(tokens: request.promptTokens.count, contextLength: contextLength)
        }
        if let limit = script.queueLimit, running >= limit {
            lock.unlock()
            throw .queueFull(waiting: running)
        }
        running += 1
        submittedRequests.append(request)
        lock.unlock()
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        let producer = Task { [self] in
            await produce(request, script: script, into: continuation)
        }
        continuation.onTermination = { [self] termination in
            producer.cancel()
            lock.withLock {
                running -= 1
                if case .cancelled = termination { abortCount += 1 }
            }
        }
        return stream
    }

    private func produce(
        _ request: GenerationRequest, script: Script, into continuation: AsyncStream<GenerationEvent>.Continuation
    ) async {
        let seedOffset = Int((request.params.seed ?? 0) % 1000)
        let start = ContinuousClock.now
        var generated = 0
        var reason = FinishReason.length
        // Stop strings as the engine treats them: text that may begin one is held back, and
        // the text ends just before the first match.
        var matcher = StopStringMatcher(stops: request.params.stop)
        for index in 0..<request.params.maxTokens {
            if let stall = script.stallAfter, index == stall {
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                return
            }
            if script.tokenDelay > .zero { try? await Task.sleep(for: script.tokenDelay) }
            if Task.isCancelled { return }
            generated += 1
            let id = Self.firstTokenID + seedOffset + index
            if let end = script.endAfter, index == end {
                // The end-of-generation token releases what was held back.
                let rest = matcher.flush()
                if !rest.isEmpty { continuation.yield(.token(GeneratedToken(token: id, text: rest))) }
                reason = .endOfGeneration
                break
            }
            var (text, stopped) = matcher.append(script.words[index % script.words.count])
            if !stopped && index == request.params.maxTokens - 1 { text += matcher.flush() }
            var token = GeneratedToken(token: id, text: text)
            if let k = request.topLogprobs {
                token.logprob = -0.25
                token.topLogprobs = (0..<k).map { TokenLogprob(token: id + $0, logprob: -0.25 - Float($0)) }
            }
            continuation.yield(.token(token))
            if stopped {
                reason = .stopString
                break
            }
        }
        let elapsed = ContinuousClock.now - start
        continuation.yield(
            .finished(
                GenerationSummary(
                    finishReason: reason, promptTokens: request.promptTokens.count, cachedPromptTokens: 2,
                    generatedTokens: generated, timeToFirstToken: .milliseconds(3), decodeTime: elapsed)))
        continuation.finish()
    }

    func snapshot() -> EngineSnapshot { lock.withLock { snapshotValue } }

    func setSnapshot(_ snapshot: EngineSnapshot) { lock.withLock { snapshotValue = snapshot } }
}
