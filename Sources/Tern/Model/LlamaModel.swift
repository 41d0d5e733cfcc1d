import TernKernels

/// The Llama architecture (RMSNorm, RoPE, grouped-query attention, SwiGLU),
/// as llama.cpp's `llama` graph computes it, reading the weights in place.
public final class LlamaModel: Sendable {
    public let config: ModelConfig
    public let weights: LlamaWeights
    let rope: RoPE

    /// Loads and validates the model in `file`.
    public init(file: GGUFFile) throws(ModelError) {
        config = try ModelConfig(file: file)
        weights = try LlamaWeights(file: file, config: config)
        rope = RoPE(dimensions: config.ropeDimensionCount, base: config.ropeFrequencyBase)
    }

    /// Runs `tokens` (at positions `startPosition...`) through the model, appending their
    /// keys and values to `cache`, and returns logits: one row per token for the last
    /// `logitRows` tokens, each `vocabularySize` floats.
    ///
    /// `activations` chooses how activations meet quantized weights: `.float` for prompt
    /// processing (exact, the batch amortises the cost), `.int8` for decoding (fastest).
    ///
    /// - Precondition: `tokens.count <= workspace.maxTokens`, `logitRows <= workspace.maxLogitRows`,
    ///   `startPosition + tokens.count <= cache.capacity`; token ids are below the vocabulary size.
    public func forward(
        tokens: UnsafeBufferPointer<Int>, startPosition: Int, cache: KVCache,
        workspace w: ForwardWorkspace, pool: ThreadPool, logitRows: Int = 1, activations: MatMul.Activations = .int8
    ) -> UnsafeBufferPointer<Float> {
        let c = config
        let n = tokens.count
        precondition(n > 0 && n <= w.maxTokens && logitRows <= min(n, w.maxLogitRows))  // workspace sized by caller
        precondition(startPosition + n <= cache.capacity)  // engine checks context length first
        let dim = c.embeddingLength, qDim = c.queryDimension, kvDim = c.kvDimension, ffn = c.feedForwardLength

        // Embeddings: dequantize each token's row of token_embd into x.  x: (n, dim)
        for (i, token) in tokens.enumerated() {
            precondition(token >= 0 && token < c.vocabularySize)  // tokenizer output
            let e = weights.tokenEmbedding
            RowQuantization.dequantizeRow(format: e.format, source: e.row(token), destination: w.x + i * dim, count: dim)
        }
        let ropeDims = c.ropeDimensionCount
        for i in 0..<n { rope.fillTable(position: startPosition + i, table: w.ropeTable + i * ropeDims) }

        for (l, layer) in weights.layers.enumerated() {
            // Attention block.
            layer.attentionNorm.withUnsafeBufferPointer {
                RMSNorm.apply(input: w.x, weight: $0.baseAddress!, output: w.normed, count: dim, rows: n, epsilon: c.rmsNormEpsilon)
            }
            MatMul.multiply(
                operand(layer.query, w.query), operand(layer.key, w.key), operand(layer.value, w.value),
                input: w.normed, batch: n, scratch: w.matmulScratch, pool: pool, activations: activations)
            for i in 0..<n {
                let table = UnsafePointer(w.ropeTable + i * ropeDims)
                rope.apply(w.query + i * qDim, heads: c.headCount, headDimension: c.headDimension, table: table)
                rope.apply(w.key + i * kvDim, heads: c.kvHeadCount, headDimension: c.headDimension, table: table)
                Attention.convertToHalf(w.key + i * kvDim, cache.keys(layer: l, position: startPosition + i), count: kvDim)
                Attention.convertToHalf(w.value + i * kvDim, cache.values(layer: l, position: startPosition + i), count: kvDim)
            }
            attend(layer: l, tokenCount: n, startPosition: startPosition, cache: cache, w, pool)  // -> w.normed (n, qDim)
            multiply(layer.output, w.normed, n, w.query, w, pool, activations)  // reuse query as (n, dim) output
            add(w.x, w.query, count: n * dim)

            // Feed-forward block.
            layer.ffnNorm.withUnsafeBufferPointer {
                RMSNorm.apply(input: w.x, weight: $0.baseAddress!, output: w.normed, count: dim, rows: n, epsilon: c.rmsNormEpsilon)
            }
            MatMul.multiply(
                operand(layer.gate, w.gate), operand(layer.up, w.up),
                input: w.normed, batch: n, scratch: w.matmulScratch, pool: pool, activations: activations)
            pool.run { index, count in  // elementwise, so any split gives the same values
                let begin = n * ffn * index / count, end = n * ffn * (index + 1) / count
                SwiGLU.apply(gate: w.gate + begin, up: w.up + begin, count: end - begin)
            }
            multiply(layer.down, w.gate, n, w.query, w, pool, activations)
            add(w.x, w.query, count: n * dim)
        }

        // Output head on the last `logitRows` tokens only.
        let first = n - logitRows
        weights.outputNorm.withUnsafeBufferPointer {
            RMSNorm.apply(input: w.x + first * dim, weight: $0.baseAddress!, output: w.normed, count: dim, rows: logitRows, epsilon: c.rmsNormEpsilon)
        }
        multiply(weights.output, w.normed, logitRows, w.logits, w, pool, activations)
        return UnsafeBufferPointer(start: w.logits, count: logitRows * c.vocabularySize)
    }

    @inline(__always)
    private func multiply(
        _ m: Tensor, _ input: UnsafeMutablePointer<Float>, _ batch: Int, _ output: UnsafeMutablePointer<Float>,
        _ w: ForwardWorkspace, _ pool: ThreadPool, _ activations: MatMul.Activations
    ) {
        MatMul.multiply(
            weights: m.data, format: m.format, rows: m.rows, columns: m.columns,
            input: input, batch: batch, output: output, scratch: w.matmulScratch, pool: pool, activations: activations)
    }

    @inline(__always)
    private func operand(_ m: Tensor, _ output: UnsafeMutablePointer<Float>) -> MatMul.Operand {
        MatMul.Operand(weights: m.data, format: m.format, rows: m.rows, columns: m.columns, output: output)
    }

    private func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// Causal attention of the batch's queries over the cache; output into `w.normed` (n, qDim).
    private func attend(layer: Int, tokenCount n: Int, startPosition: Int, cache: KVCache, _ w: ForwardWorkspace, _ pool: ThreadPool) {
        let c = config
        let heads = c.headCount
        let keys = UnsafePointer(cache.keys(layer: layer, position: 0))
        let values = UnsafePointer(cache.values(layer: layer, position: 0))
        pool.run { ith, nth in
            // Split the (token, head) pairs evenly across threads.
            let total = n * heads
            let begin = total * ith / nth, end = total * (ith + 1) / nth
            var pair = begin
            while pair < end {
                let token = pair / heads
                let firstHead = pair % heads
                let lastHead = min(heads, firstHead + (end - pair))
                Attention.attend(
                    query: w.query + token * c.queryDimension, keys: keys, values: values,
                    length: startPosition + token + 1, heads: heads, kvHeads: c.kvHeadCount,
                    headDimension: c.headDimension, output: w.normed + token * c.queryDimension,
                    headRange: firstHead..<lastHead)
                pair += lastHead - firstHead
            }
        }
    }
}
