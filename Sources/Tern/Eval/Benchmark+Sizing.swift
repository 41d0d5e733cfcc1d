extension Benchmark {
    /// The buffers `measure` allocates for one test: a KV cache of exactly the positions one
    /// run writes (each run starts again from position 0, so a pp512 cache holds 512 and a
    /// tg128 cache 128, where llama-bench's single context holds both, 640), and a workspace
    /// for one forward pass with logits for the last token of each sequence only.
    public struct Sizing: Sendable, Equatable {
        /// Blocks of the KV cache: one per sequence.
        public let cacheBlocks: Int
        /// Positions per block: a whole run of one sequence.
        public let cacheBlockSize: Int
        /// Tokens per forward pass: one micro-batch of the prompt, or one per sequence when decoding.
        public let workspaceTokens: Int
        /// Rows of logits per forward pass.
        public let logitRows: Int

        /// Positions the KV cache holds.
        public var cachePositions: Int { cacheBlocks * cacheBlockSize }

        public init(_ test: BenchmarkTest) {
            precondition(test.tokenCount >= 1)  // the CLI validates -p, -n, --batch
            switch test {
            case let .promptProcessing(n):
                (cacheBlocks, cacheBlockSize, workspaceTokens, logitRows) = (1, n, min(n, Benchmark.microBatch), 1)
            case let .textGeneration(n):
                (cacheBlocks, cacheBlockSize, workspaceTokens, logitRows) = (1, n, 1, 1)
            case let .batchedGeneration(n, sequences):
                (cacheBlocks, cacheBlockSize, workspaceTokens, logitRows) = (sequences, n, sequences, sequences)
            }
        }

        /// Bytes of the KV cache for `config`.
        public func cacheBytes(config: ModelConfig) -> Int {
            KVCache.bytes(config: config, capacity: cachePositions)
        }

        /// Bytes of the workspace for `model`.
        public func workspaceBytes(model: LlamaModel) -> Int {
            ForwardWorkspace.bytes(
                model: model, maxTokens: workspaceTokens, maxLogitRows: logitRows)
        }

        func makeCache(config: ModelConfig) -> KVCache {
            KVCache(config: config, blockCount: cacheBlocks, blockSize: cacheBlockSize)
        }

        func makeWorkspace(model: LlamaModel) -> ForwardWorkspace {
            ForwardWorkspace(model: model, maxTokens: workspaceTokens, maxLogitRows: logitRows)
        }
    }
}
