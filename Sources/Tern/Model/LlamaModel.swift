import TernKernels

/// The Llama architecture (RMSNorm, RoPE, grouped-query attention, SwiGLU),
/// as llama.cpp's `llama` graph computes it, reading the weights in place.
public final class LlamaModel: Sendable {
    public let config: ModelConfig
    public let weights: LlamaWeights
    let rope: RoPE
    /// The output head as the products read it: `weights.output`, repacked for the
    /// lookup-table kernels when it is ternary (see `init`).
    let head: Tensor
    /// Where token embeddings are read from: `weights.tokenEmbedding`, or `head` itself
    /// when the two are one tensor (tied) and `head` was repacked.
    let embedding: Tensor

    /// Loads and validates the model in `file`.
    public init(file: GGUFFile) throws(ModelError) {
        config = try ModelConfig(file: file)
        weights = try LlamaWeights(file: file, config: config)
        rope = RoPE(dimensions: config.ropeDimensionCount, base: config.ropeFrequencyBase)
        // The head (49152 x 576 for SmolLM2) is the largest product: in a kernel layout when
        // it has one (a ternary head on the lookup-table kernels runs ~2.5x t2_64's direct
        // ones; a q4 head in groups of eight rows). Tied, the one repacked copy also serves
        // embedding lookups, so the file's pages of the tensor are never read.
        // `ForwardWorkspace` sizes its scratch from `head`, tables included.
        let w = weights
        head = w.output.repackedForKernels()
        let tied = w.output.data == w.tokenEmbedding.data && w.output.format == w.tokenEmbedding.format
        embedding = tied ? head : w.tokenEmbedding
    }

    /// Runs `tokens` of one sequence (at positions `startPosition...`) through the model,
    /// appending their keys and values to `cache` (whose blocks, in order, hold the sequence),
    /// and returns logits: one row per token for the last `logitRows` tokens, each
    /// `vocabularySize` floats.
    ///
    /// - Precondition: `tokens.count <= workspace.maxTokens`, `logitRows <= workspace.maxLogitRows`,
    ///   `startPosition + tokens.count <= cache.capacity`; token ids are below the vocabulary size.
    public func forward(
        tokens: UnsafeBufferPointer<Int>, startPosition: Int, cache: KVCache,
        workspace w: ForwardWorkspace, pool: ThreadPool, logitRows: Int = 1, activations: MatMul.Activations = .int8
    ) -> UnsafeBufferPointer<Float> {
        precondition(logitRows >= 1 && logitRows <= tokens.count)
        let batch = w.singleSequence
        batch.removeAll()
        batch.append(tokens: tokens, startPosition: startPosition, blockTable: 0..<cache.blockCount, logits: logitRows == 1)
        if logitRows > 1 { batch.requestLastLogits(logitRows) }
        return forward(batch: batch, cache: cache, workspace: w, pool: pool, activations: activations)
    }

    /// Runs a batch of chunks of one or more sequences through the model in one pass (each
    /// weight read once for all), writing their keys and values into `cache` at the blocks
    /// their tables name, and returns the logits of `batch.logitTokens`, one row each.
    ///
    /// `activations` chooses how activations meet quantized weights: `.int8` (llama.cpp's
    /// arithmetic, fastest) or `.float` (f32 activations).
    ///
    /// - Precondition: the batch fits the workspace (`maxTokens`, `maxLogitRows`); every table
    ///   covers its chunk's positions with blocks of `cache`; token ids are below the vocabulary size.
    public func forward(
        batch: ForwardBatch, cache: KVCache, workspace w: ForwardWorkspace, pool: ThreadPool,
        activations: MatMul.Activations = .int8
    ) -> UnsafeBufferPointer<Float> {
        let c = config
        let n = batch.tokens.count
        let logitRows = batch.logitTokens.count
        precondition(n > 0 && n <= w.maxTokens && logitRows <= w.maxLogitRows)  // workspace sized by caller
        for chunk in batch.chunks {  // the engine allocates blocks before scheduling a chunk
            precondition((chunk.startPosition + chunk.tokenCount + cache.blockSize - 1) / cache.blockSize <= chunk.tableCount)
        }
        let dim = c.embeddingLength, qDim = c.queryDimension, kvDim = c.kvDimension

        // Embeddings: dequantize each token's row of token_embd into x.  x: (n, dim)
        for (i, token) in batch.tokens.enumerated() {
            precondition(token >= 0 && token < c.vocabularySize)  // tokenizer output
            embedding.dequantizeRow(token, into: w.x + i * dim)
        }
        let ropeDims = c.ropeDimensionCount
        for i in 0..<n { rope.fillTable(position: batch.positions[i], table: w.ropeTable + i * ropeDims) }

        batch.tables.withUnsafeBufferPointer { tables in
            for (l, layer) in weights.layers.enumerated() {
                // Attention block.
                layer.attentionNorm.withUnsafeBufferPointer {
                    RMSNorm.apply(input: w.x, weight: $0.baseAddress!, output: w.normed, count: dim, rows: n, epsilon: c.rmsNormEpsilon)
                }
                MatMul.multiply(
                    operand(layer.query, w.query), operand(layer.key, w.key), operand(layer.value, w.value),
                    input: w.normed, batch: n, scratch: w.matmulScratch, pool: pool, activations: activations)
                let layerKeys = cache.keys(layer: l), layerValues = cache.values(layer: l)
                for i in 0..<n {
                    let table = UnsafePointer(w.ropeTable + i * ropeDims)
                    rope.apply(w.query + i * qDim, heads: c.headCount, headDimension: c.headDimension, table: table)
                    rope.apply(w.key + i * kvDim, heads: c.kvHeadCount, headDimension: c.headDimension, table: table)
                    let chunk = batch.chunks[batch.chunkOfToken[i]]
                    let position = batch.positions[i]
                    let block = Int(tables[chunk.tableStart + position / cache.blockSize])
                    let offset = block * cache.blockStride + (position % cache.blockSize) * kvDim
                    Attention.convertToHalf(w.key + i * kvDim, layerKeys + offset, count: kvDim)
                    Attention.convertToHalf(w.value + i * kvDim, layerValues + offset, count: kvDim)
                }
                attend(batch, tables, layerKeys, layerValues, cache, w, pool)  // -> w.normed (n, qDim)
                multiply(layer.output, w.normed, n, w.query, w, pool, activations)  // reuse query as (n, dim) output
                add(w.x, w.query, count: n * dim)

                // Feed-forward block.
                layer.ffnNorm.withUnsafeBufferPointer {
                    RMSNorm.apply(input: w.x, weight: $0.baseAddress!, output: w.normed, count: dim, rows: n, epsilon: c.rmsNormEpsilon)
                }
                // SwiGLU on each chunk of rows as soon as both products have it (one pool job).
                MatMul.multiplyGated(
                    operand(layer.gate, w.gate), operand(layer.up, w.up),
                    input: w.normed, batch: n, scratch: w.matmulScratch, pool: pool, activations: activations
                ) { gate, up, count in
                    // The C library's expf values (llama.cpp's vector e^x moved perplexity by 1.5%
                    // and a reference logit by 0.78: both tests fail with it), vectorized.
                    SwiGLU.libm(gate: gate, up: up, count: count)
                }
                multiply(layer.down, w.gate, n, w.query, w, pool, activations)
                add(w.x, w.query, count: n * dim)
            }
        }

        // Output head on the requested tokens only.
        guard logitRows > 0 else { return UnsafeBufferPointer(start: w.logits, count: 0) }
        weights.outputNorm.withUnsafeBufferPointer { norm in
            for (row, token) in batch.logitTokens.enumerated() {
                RMSNorm.apply(
                    input: w.x + token * dim, weight: norm.baseAddress!, output: w.normed + row * dim, count: dim,
                    rows: 1, epsilon: c.rmsNormEpsilon)
            }
        }
        multiply(head, w.normed, logitRows, w.logits, w, pool, activations)
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

    /// Causal attention of every token's query over its sequence's positions so far (its own
    /// included); output into `w.normed` (n, qDim).
    ///
    /// A chunk of `Attention.tiledMinimumTokens` or more tokens (prompt processing) takes the
    /// tiled kernel, as llama.cpp switches at that many queries; every thread does its share
    /// of the chunk's causal work. Decode steps and small chunks keep the one-query kernel, in
    /// work items of (up to four consecutive tokens of one chunk, one kv head): one kernel call
    /// serves all their query heads from each key and value row it reads. Items go to threads
    /// in turn, so each thread gets short and long contexts alike. The choice is per chunk, so
    /// a sequence's logits do not depend on what else shares its batch.
    private func attend(
        _ batch: ForwardBatch, _ tables: UnsafeBufferPointer<Int32>, _ keys: UnsafeMutablePointer<UInt16>,
        _ values: UnsafeMutablePointer<UInt16>, _ cache: KVCache, _ w: ForwardWorkspace, _ pool: ThreadPool
    ) {
        let c = config
        let kvHeads = c.kvHeadCount
        let perCall = max(1, min(4, Attention.maxQueriesPerCall / (c.headCount / kvHeads)))
        if batch.tokens.count == 1, let chunk = batch.chunks.first, chunk.tokenCount < Attention.tiledMinimumTokens {
            attendOneToken(chunk, tables, keys, values, cache, w, pool)
            return
        }
        pool.run { ith, nth in
            var item = 0
            for chunk in batch.chunks {
                let pages = Attention.Pages(
                    table: tables.baseAddress! + chunk.tableStart, blockSize: cache.blockSize,
                    blockStride: cache.blockStride)
                if chunk.tokenCount >= Attention.tiledMinimumTokens {
                    Attention.attendTiled(
                        query: w.query + chunk.firstToken * c.queryDimension, queryStride: c.queryDimension,
                        keys: keys, values: values, pages: pages, firstLength: chunk.startPosition + 1,
                        tokens: chunk.tokenCount, heads: c.headCount, kvHeads: kvHeads, headDimension: c.headDimension,
                        output: w.normed + chunk.firstToken * c.queryDimension, outputStride: c.queryDimension,
                        thread: ith, threadCount: nth)
                    continue
                }
                for first in stride(from: 0, to: chunk.tokenCount, by: perCall) {
                    let token = chunk.firstToken + first
                    for kvHead in 0..<kvHeads {
                        defer { item += 1 }
                        guard item % nth == ith else { continue }
                        Attention.attend(
                            query: w.query + token * c.queryDimension, queryStride: c.queryDimension, keys: keys,
                            values: values, pages: pages, firstLength: chunk.startPosition + first + 1,
                            tokens: min(perCall, chunk.tokenCount - first), heads: c.headCount, kvHeads: kvHeads,
                            kvHead: kvHead, headDimension: c.headDimension,
                            output: w.normed + token * c.queryDimension, outputStride: c.queryDimension)
                    }
                }
            }
        }
    }

    /// `attend` for a batch of one token (single-sequence decode): kv heads alone would not
    /// split evenly over the threads (SmolLM2 has three), so each thread takes an equal share
    /// of the query heads (`AttentionShare`). A run covering a kv head's whole group is one
    /// kernel call, which reads that head's keys and values once; a part of a group goes
    /// head by head. Every query head gets the same values either way
    /// (`Attention.attend(query:...)` per head equals the grouped call).
    private func attendOneToken(
        _ chunk: ForwardBatch.Chunk, _ tables: UnsafeBufferPointer<Int32>, _ keys: UnsafeMutablePointer<UInt16>,
        _ values: UnsafeMutablePointer<UInt16>, _ cache: KVCache, _ w: ForwardWorkspace, _ pool: ThreadPool
    ) {
        let c = config
        let kvHeads = c.kvHeadCount, group = c.headCount / kvHeads
        let pages = Attention.Pages(
            table: tables.baseAddress! + chunk.tableStart, blockSize: cache.blockSize, blockStride: cache.blockStride)
        let length = chunk.startPosition + 1
        let query = w.query + chunk.firstToken * c.queryDimension, output = w.normed + chunk.firstToken * c.queryDimension
        pool.run { ith, nth in
            for heads in AttentionShare(thread: ith, threadCount: nth, kvHeads: kvHeads, group: group) {
                if heads.count == group && group <= Attention.maxQueriesPerCall {
                    Attention.attend(
                        query: query, queryStride: c.queryDimension, keys: keys, values: values, pages: pages,
                        firstLength: length, tokens: 1, heads: c.headCount, kvHeads: kvHeads,
                        kvHead: heads.lowerBound / group, headDimension: c.headDimension, output: output,
                        outputStride: c.queryDimension)
                } else {
                    Attention.attend(
                        query: query, keys: keys, values: values, pages: pages, length: length, heads: c.headCount,
                        kvHeads: kvHeads, headDimension: c.headDimension, output: output, headRange: heads)
                }
            }
        }
    }
}
