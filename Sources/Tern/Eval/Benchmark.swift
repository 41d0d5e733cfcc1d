import TernKernels

/// Times prompt processing and text generation of one model as llama-bench does:
/// random valid tokens, a warm-up run, then `repetitions` timed runs, each from an
/// empty KV cache, with logits for the last token only.
public final class Benchmark {
    /// Tokens per forward pass during prefill, llama.cpp's default micro-batch (`n_ubatch`).
    public static let microBatch = 512

    public let model: LlamaModel
    public let pool: ThreadPool
    private var random: RandomGenerator

    /// - Parameters:
    ///   - threadCount: threads per matrix product, at least 1.
    ///   - seed: seeds the random prompt tokens, for runs that repeat exactly.
    public init(model: LlamaModel, threadCount: Int, seed: UInt64 = 1234) {
        precondition(threadCount >= 1)  // the CLI validates --threads
        self.model = model
        pool = ThreadPool(threadCount: threadCount)
        random = RandomGenerator(seed: seed)
    }

    /// Runs `test` once to warm up (llama-bench's warm-up: the whole prompt, or one decode
    /// step), then `repetitions` times, returning the seconds each timed run took.
    public func measure(_ test: BenchmarkTest, repetitions: Int) -> [Double] {
        precondition(test.tokenCount >= 1 && repetitions >= 1)  // the CLI validates -p, -n, -r
        let count = test.tokenCount
        let vocabulary = model.config.vocabularySize
        let tokens = (0..<count).map { _ in Int(random.next() % UInt64(vocabulary)) }
        // One cache and workspace for all runs: each run starts again at position 0, as
        // llama-bench clears its cache. Both are sized to what a run uses (see `Sizing`).
        let sizing = Sizing(test)
        let cache = sizing.makeCache(config: model.config)
        let workspace = sizing.makeWorkspace(model: model)
        let clock = ContinuousClock()
        switch test {
        case .promptProcessing:
            prefill(tokens, cache: cache, workspace: workspace)
            return (0..<repetitions).map { _ in
                let start = clock.now
                prefill(tokens, cache: cache, workspace: workspace)
                return (clock.now - start).seconds
            }
        case .textGeneration:
            decode(tokens.prefix(1), cache: cache, workspace: workspace)
            return (0..<repetitions).map { _ in
                let start = clock.now
                decode(tokens[...], cache: cache, workspace: workspace)
                return (clock.now - start).seconds
            }
        case let .batchedGeneration(steps, sequences):
            // Sequence s owns block s, as long as its run.
            let streams = (0..<sequences).map { _ in (0..<steps).map { _ in Int(random.next() % UInt64(vocabulary)) } }
            decodeTogether(streams, steps: 1, cache: cache, workspace: workspace)
            return (0..<repetitions).map { _ in
                let start = clock.now
                decodeTogether(streams, steps: steps, cache: cache, workspace: workspace)
                return (clock.now - start).seconds
            }
        }
    }

    /// Decodes `steps` tokens of every stream, one forward pass per step for all streams.
    private func decodeTogether(_ streams: [[Int]], steps: Int, cache: KVCache, workspace: ForwardWorkspace) {
        let batch = ForwardBatch()
        for position in 0..<steps {
            batch.removeAll()
            for (s, stream) in streams.enumerated() {
                batch.append(tokens: CollectionOfOne(stream[position]), startPosition: position, blockTable: CollectionOfOne(s), logits: true)
            }
            _ = model.forward(batch: batch, cache: cache, workspace: workspace, pool: pool)
        }
    }

    /// Prefills `tokens` from position 0 in chunks of the workspace size, as `Generator` does.
    private func prefill(_ tokens: [Int], cache: KVCache, workspace: ForwardWorkspace) {
        var position = 0
        while position < tokens.count {
            let end = min(tokens.count, position + workspace.maxTokens)
            _ = tokens[position..<end].withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: position, cache: cache, workspace: workspace, pool: pool)
            }
            position = end
        }
    }

    /// Decodes `tokens` one forward pass each, from position 0, as `Generator` does after its prefill.
    private func decode(_ tokens: ArraySlice<Int>, cache: KVCache, workspace: ForwardWorkspace) {
        for (position, token) in tokens.enumerated() {
            var next = token
            _ = withUnsafePointer(to: &next) {
                model.forward(
                    tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: position, cache: cache,
                    workspace: workspace, pool: pool)
            }
        }
    }
}
