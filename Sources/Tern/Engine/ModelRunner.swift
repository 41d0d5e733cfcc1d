import TernKernels

/// Runs the model over one step's batch: the chunks of every scheduled sequence in one
/// forward pass (each weight read once per step), keys and values written into the paged
/// cache through each sequence's block table.
///
/// Owned by the engine thread; holds everything a step needs, allocated once.
final class ModelRunner {
    let model: LlamaModel
    let cache: KVCache
    /// The step being built; `run` computes it.
    let batch = ForwardBatch()
    private let workspace: ForwardWorkspace
    private let pool: ThreadPool

    /// - Parameters:
    ///   - blockCount, blockSize: the paged KV cache (`blockCount · blockSize` positions in all).
    ///   - maxBatchedTokens: most tokens one step computes (prefill chunks and decodes together).
    ///   - maxSequences: most sequences in one step, so most rows of logits.
    init(model: LlamaModel, blockCount: Int, blockSize: Int, maxBatchedTokens: Int, maxSequences: Int, threadCount: Int) {
        self.model = model
        cache = KVCache(config: model.config, blockCount: blockCount, blockSize: blockSize)
        workspace = ForwardWorkspace(
            model: model, maxTokens: maxBatchedTokens,
            maxLogitRows: min(maxSequences, maxBatchedTokens))
        pool = ThreadPool(threadCount: threadCount)
    }

    var threadCount: Int { pool.threadCount }

    /// Computes `batch` and returns the logits of its `logitTokens`, one row of
    /// `vocabularySize` each, valid until the next call. The caller may modify them.
    func run() -> UnsafeMutableBufferPointer<Float> {
        let logits = model.forward(batch: batch, cache: cache, workspace: workspace, pool: pool)
        return UnsafeMutableBufferPointer(mutating: logits)
    }
}
