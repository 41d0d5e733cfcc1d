import TernKernels

/// Every buffer one forward pass needs, allocated once so the decode loop never allocates.
/// Shapes are per batch of up to `maxTokens` tokens.
///
/// `query`, `key` and `value` live inside `up`: within a layer, attention (the Q/K/V
/// products, the cache writes, attention itself and the output projection into `query`)
/// is done before the feed-forward block writes `up`, and the down projection, which
/// writes `query` again, reads `gate` after SwiGLU has consumed `up`. For SmolLM2 at 512
/// tokens that saves 1.9 MiB of the 11.3 MiB a prefill workspace would otherwise take.
public final class ForwardWorkspace: @unchecked Sendable {
    // @unchecked: owned by one forward pass at a time.
    public let maxTokens: Int
    /// Rows of logits it can hold: 1 for generation (last token), up to maxTokens for scoring.
    public let maxLogitRows: Int
    /// Bytes of all its buffers, as `bytes(model:maxTokens:maxLogitRows:)` computes.
    public let byteCount: Int
    let x: UnsafeMutablePointer<Float>          // (T, dim) residual stream
    let normed: UnsafeMutablePointer<Float>     // (T, max(dim, qDim)) normed input / attention output
    let query: UnsafeMutablePointer<Float>      // (T, max(qDim, dim)) queries / projection outputs; in up
    let key: UnsafeMutablePointer<Float>        // (T, kvDim), in up after query
    let value: UnsafeMutablePointer<Float>      // (T, kvDim), in up after key
    let gate: UnsafeMutablePointer<Float>       // (T, ffn)
    let up: UnsafeMutablePointer<Float>         // (T, max(ffn, queryRegion + 2 kvDim))
    let logits: UnsafeMutablePointer<Float>     // (maxLogitRows, vocab)
    let ropeTable: UnsafeMutablePointer<Float>  // (T, ropeDims) cos/sin per position
    let matmulScratch: UnsafeMutableRawPointer
    let scratchBytes: Int
    /// The batch `LlamaModel.forward(tokens:...)` fills for its one sequence.
    let singleSequence = ForwardBatch()
    private var allocations: [UnsafeMutableRawPointer] = []

    /// Floats per token of each buffer, in allocation order, and the scratch bytes.
    private struct Layout {
        let x, normed, gate, up, ropeTable, queryRegion, kvDimension: Int
        let logits: Int     // per logit row
        let scratchBytes: Int

        init(model: LlamaModel, maxTokens: Int) {
            let c = model.config
            x = c.embeddingLength
            normed = max(c.embeddingLength, c.queryDimension)
            // query also takes the (T, dim) outputs of the attention and down projections.
            queryRegion = max(c.queryDimension, c.embeddingLength)
            kvDimension = c.kvDimension
            gate = c.feedForwardLength
            up = max(c.feedForwardLength, queryRegion + 2 * c.kvDimension)
            ropeTable = c.ropeDimensionCount
            logits = c.vocabularySize
            var scratch = 0
            // The head as the model multiplies by it: a repacked (t2_64r) head needs more
            // scratch than the file's tensor (its lookup tables).
            let matrices = model.weights.layers.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] }
                + [model.head]
            for m in matrices {
                scratch = max(scratch, MatMul.scratchBytes(format: m.format, columns: m.columns, batch: maxTokens))
            }
            scratchBytes = max(scratch, 64)
        }

        func bytes(maxTokens t: Int, maxLogitRows: Int) -> Int {
            let floats = [x, normed, gate, up, ropeTable].reduce(0) { $0 + max(t * $1, 1) } + max(maxLogitRows * logits, 1)
            return floats * MemoryLayout<Float>.size + scratchBytes
        }
    }

    /// Bytes a workspace for `model`, `maxTokens` tokens and `maxLogitRows` logit rows takes.
    public static func bytes(model: LlamaModel, maxTokens: Int, maxLogitRows: Int) -> Int {
        Layout(model: model, maxTokens: maxTokens).bytes(maxTokens: maxTokens, maxLogitRows: maxLogitRows)
    }

    /// A workspace for forward passes of `model` over up to `maxTokens` tokens, returning up
    /// to `maxLogitRows` rows of logits.
    public init(model: LlamaModel, maxTokens: Int, maxLogitRows: Int) {
        precondition(maxTokens > 0 && maxLogitRows > 0 && maxLogitRows <= maxTokens)  // sized by the caller
        self.maxTokens = maxTokens
        self.maxLogitRows = maxLogitRows
        let layout = Layout(model: model, maxTokens: maxTokens)
        scratchBytes = layout.scratchBytes
        byteCount = layout.bytes(maxTokens: maxTokens, maxLogitRows: maxLogitRows)
        var allocations: [UnsafeMutableRawPointer] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        let t = maxTokens
        x = floats(t * layout.x)
        normed = floats(t * layout.normed)
        gate = floats(t * layout.gate)
        up = floats(t * layout.up)
        query = up
        key = up + t * layout.queryRegion
        value = key + t * layout.kvDimension
        logits = floats(maxLogitRows * layout.logits)
        ropeTable = floats(t * layout.ropeTable)
        matmulScratch = .allocate(byteCount: layout.scratchBytes, alignment: 64)
        allocations.append(matmulScratch)
        self.allocations = allocations
    }

    deinit {
        for p in allocations { p.deallocate() }
    }
}
