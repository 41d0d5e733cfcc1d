import TernKernels

/// Runs one sequence at a time: prefill in chunks, then decode token by token,
/// streaming text. Keeps its KV cache between calls so that a chat turn only
/// computes the tokens after the longest common prefix.
public final class Generator {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let contextSize: Int
    let pool: ThreadPool
    let cache: KVCache
    let workspace: ForwardWorkspace
    /// Tokens whose keys and values are in `cache`, in order.
    private var cachedTokens: [Int] = []

    /// - Parameters:
    ///   - contextSize: positions the KV cache holds; at most the model's trained context.
    ///   - prefillChunk: tokens per forward pass during prefill.
    public init(model: LlamaModel, tokenizer: Tokenizer, contextSize: Int, threadCount: Int, prefillChunk: Int = 256) {
        self.model = model
        self.tokenizer = tokenizer
        self.contextSize = contextSize
        pool = ThreadPool(threadCount: threadCount)
        cache = KVCache(config: model.config, capacity: contextSize)
        workspace = ForwardWorkspace(
            config: model.config, weights: model.weights, maxTokens: max(1, min(prefillChunk, contextSize)),
            maxLogitRows: 1)
    }

    /// Generates a continuation of `prompt`, calling `onText` with each piece of
    /// complete UTF-8 text as it is ready; `onText` returns false to stop early.
    public func generate(
        prompt: [Int], params: SamplingParams, onText: (String) -> Bool
    ) throws(ModelError) -> GenerationStats {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        guard prompt.count < contextSize else { throw .promptTooLong(tokens: prompt.count, contextSize: contextSize) }
        var stats = GenerationStats()
        stats.promptTokens = prompt.count

        // Reuse the cached prefix; always recompute at least the last prompt token for its logits.
        var reused = zip(cachedTokens, prompt).prefix { $0 == $1 }.count
        reused = min(reused, prompt.count - 1)
        cachedTokens.removeSubrange(reused...)
        stats.cachedPromptTokens = reused

        let clock = ContinuousClock()
        let prefillStart = clock.now
        var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
        var position = reused
        while position < prompt.count {
            let end = min(prompt.count, position + workspace.maxTokens)
            logits = prompt[position..<end].withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: position, cache: cache, workspace: workspace, pool: pool)
            }
            position = end
        }
        cachedTokens = prompt
        stats.prefillSeconds = (clock.now - prefillStart).seconds

        var sampler = Sampler(params: params, vocabularySize: model.config.vocabularySize)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var stops = StopStringMatcher(stops: params.stop)
        var history = prompt
        history.reserveCapacity(contextSize)
        let decodeStart = clock.now
        let limit = min(params.maxTokens, contextSize - prompt.count)
        stats.finishReason = .length
        var keepGoing = true
        generation: while stats.generatedTokens < limit {
            let token = sampler.sample(
                logits: UnsafeMutableBufferPointer(mutating: logits), history: history)
            stats.generatedTokens += 1
            stats.tokens.append(token)
            if tokenizer.isEndOfGeneration(token) {
                stats.finishReason = .endOfGeneration
                break
            }
            history.append(token)
            let (text, stopped) = stops.append(decoder.append(token))
            if !text.isEmpty { keepGoing = onText(text) }
            if stopped {
                stats.finishReason = .stopString
                break generation
            }
            if !keepGoing {
                stats.finishReason = .cancelled
                break
            }
            guard stats.generatedTokens < limit else { break }
            var next = token  // a one-token buffer without allocating an array per step
            logits = withUnsafePointer(to: &next) {
                model.forward(
                    tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: history.count - 1, cache: cache,
                    workspace: workspace, pool: pool)
            }
            cachedTokens.append(token)
        }
        if stats.finishReason != .stopString && stats.finishReason != .cancelled {
            let rest = stops.append(decoder.flush()).emit + stops.flush()
            if !rest.isEmpty { _ = onText(rest) }
        }
        stats.decodeSeconds = (clock.now - decodeStart).seconds
        return stats
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
