import TernKernels

/// Every buffer one forward pass needs, allocated once so the decode loop never allocates.
/// Shapes are per batch of up to `maxTokens` tokens.
public final class ForwardWorkspace: @unchecked Sendable {
    // @unchecked: owned by one forward pass at a time.
    public let maxTokens: Int
    /// Rows of logits it can hold: 1 for generation (last token), up to maxTokens for scoring.
    public let maxLogitRows: Int
    let x: UnsafeMutablePointer<Float>          // (T, dim) residual stream
    let normed: UnsafeMutablePointer<Float>     // (T, max(dim, qDim)) normed input / attention output
    let query: UnsafeMutablePointer<Float>      // (T, qDim)
    let key: UnsafeMutablePointer<Float>        // (T, kvDim)
    let value: UnsafeMutablePointer<Float>      // (T, kvDim)
    let gate: UnsafeMutablePointer<Float>       // (T, ffn)
    let up: UnsafeMutablePointer<Float>         // (T, ffn)
    let logits: UnsafeMutablePointer<Float>     // (maxLogitRows, vocab)
    let ropeTable: UnsafeMutablePointer<Float>  // (T, ropeDims) cos/sin per position
    let matmulScratch: UnsafeMutableRawPointer
    /// The batch `LlamaModel.forward(tokens:...)` fills for its one sequence.
    let singleSequence = ForwardBatch()
    private var allocations: [UnsafeMutableRawPointer] = []

    public init(config c: ModelConfig, weights: LlamaWeights, maxTokens: Int, maxLogitRows: Int) {
        precondition(maxTokens > 0 && maxLogitRows > 0 && maxLogitRows <= maxTokens)  // sized by the caller
        self.maxTokens = maxTokens
        self.maxLogitRows = maxLogitRows
        var allocations: [UnsafeMutableRawPointer] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        let t = maxTokens
        x = floats(t * c.embeddingLength)
        normed = floats(t * max(c.embeddingLength, c.queryDimension))
        query = floats(t * c.queryDimension)
        key = floats(t * c.kvDimension)
        value = floats(t * c.kvDimension)
        gate = floats(t * c.feedForwardLength)
        up = floats(t * c.feedForwardLength)
        logits = floats(maxLogitRows * c.vocabularySize)
        ropeTable = floats(t * c.ropeDimensionCount)

        var scratchBytes = 0
        let matrices = weights.layers.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] } + [weights.output]
        for m in matrices {
            scratchBytes = max(scratchBytes, MatMul.scratchBytes(format: m.format, columns: m.columns, batch: t))
        }
        matmulScratch = .allocate(byteCount: max(scratchBytes, 64), alignment: 64)
        allocations.append(matmulScratch)
        self.allocations = allocations
    }

    deinit {
        for p in allocations { p.deallocate() }
    }
}
