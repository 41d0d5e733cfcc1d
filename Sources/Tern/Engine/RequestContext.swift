/// The engine thread's state for one request beyond what the scheduler tracks: its
/// sampler, its text stream (UTF-8 assembly and stop strings), its event channel and timings.
final class RequestContext {
    let id: Int
    let request: GenerationRequest
    let continuation: AsyncStream<GenerationEvent>.Continuation
    /// Tokens this request may generate: its max_tokens, or less if the context ends first.
    let limit: Int
    private(set) var sampler: Sampler
    private var decoder: StreamingDecoder
    private var stops: StopStringMatcher
    private let tokenizer: Tokenizer
    let submitted: ContinuousClock.Instant
    private(set) var firstToken: ContinuousClock.Instant?
    private(set) var lastToken: ContinuousClock.Instant?
    private(set) var generated = 0
    var cachedPromptTokens = 0

    init(
        id: Int, request: GenerationRequest, tokenizer: Tokenizer, contextLength: Int,
        continuation: AsyncStream<GenerationEvent>.Continuation, submitted: ContinuousClock.Instant
    ) {
        self.id = id
        self.request = request
        self.continuation = continuation
        self.tokenizer = tokenizer
        self.submitted = submitted
        limit = max(0, min(request.params.maxTokens, contextLength - request.promptTokens.count))
        sampler = Sampler(params: request.params, vocabularySize: tokenizer.vocabularySize)
        decoder = StreamingDecoder(tokenizer: tokenizer)
        stops = StopStringMatcher(stops: request.params.stop)
    }

    /// Samples the next token from `logits` (penalties are applied to it in place), reports it,
    /// and says whether the request is finished and why.
    func step(
        logits: UnsafeMutableBufferPointer<Float>, history: [Int], now: ContinuousClock.Instant
    ) -> (token: Int, finish: FinishReason?) {
        // Log-probabilities come from the model's distribution, before the sampler's penalties.
        var logprob: Float?
        var top: [TokenLogprob] = []
        let token: Int
        if let k = request.topLogprobs {
            let raw = Array(logits)
            token = sampler.sample(logits: logits, history: history)
            (logprob, top) = raw.withUnsafeBufferPointer { Logprobs.of(token: token, top: k, logits: $0) }
        } else {
            token = sampler.sample(logits: logits, history: history)
        }
        generated += 1
        if firstToken == nil { firstToken = now }
        lastToken = now

        var finish: FinishReason?
        var text = ""
        if tokenizer.isEndOfGeneration(token) && !request.ignoresEndOfGeneration {
            finish = .endOfGeneration
            text = stops.append(decoder.flush()).emit + stops.flush()
        } else {
            let (emit, stopped) = stops.append(decoder.append(token))
            text = emit
            if stopped {
                finish = .stopString
            } else if generated >= limit {
                finish = .length
                text += stops.append(decoder.flush()).emit + stops.flush()
            }
        }
        continuation.yield(.token(GeneratedToken(token: token, text: text, logprob: logprob, topLogprobs: top)))
        return (token, finish)
    }

    /// Sends the summary and closes the stream.
    func finish(_ reason: FinishReason) {
        let summary = GenerationSummary(
            finishReason: reason, promptTokens: request.promptTokens.count, cachedPromptTokens: cachedPromptTokens,
            generatedTokens: generated, timeToFirstToken: firstToken.map { $0 - submitted },
            decodeTime: firstToken.flatMap { first in lastToken.map { $0 - first } } ?? .zero)
        continuation.yield(.finished(summary))
        continuation.finish()
    }
}
