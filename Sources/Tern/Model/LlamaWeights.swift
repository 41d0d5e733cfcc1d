import TernKernels

/// The tensors of one transformer block, named as llama.cpp's GGUF files name them.
public struct LlamaLayerWeights: Sendable {
    public let attentionNorm: [Float]  // blk.N.attn_norm.weight   (dim)
    public let query: Tensor           // blk.N.attn_q.weight      (qDim rows × dim)
    public let key: Tensor             // blk.N.attn_k.weight      (kvDim × dim)
    public let value: Tensor           // blk.N.attn_v.weight      (kvDim × dim)
    public let output: Tensor          // blk.N.attn_output.weight (dim × qDim)
    public let ffnNorm: [Float]        // blk.N.ffn_norm.weight    (dim)
    public let gate: Tensor            // blk.N.ffn_gate.weight    (ffn × dim)
    public let up: Tensor              // blk.N.ffn_up.weight      (ffn × dim)
    public let down: Tensor            // blk.N.ffn_down.weight    (dim × ffn)
}

/// All weights of a Llama model, validated against its config. Matrices stay
/// packed in the mapped file; only the small norm vectors are copied to f32.
public struct LlamaWeights: Sendable {
    public let file: GGUFFile
    public let tokenEmbedding: Tensor  // token_embd.weight (vocab rows × dim)
    public let outputNorm: [Float]     // output_norm.weight (dim)
    public let output: Tensor          // output.weight, or token_embd.weight when tied
    public let layers: [LlamaLayerWeights]

    public init(file: GGUFFile, config c: ModelConfig) throws(ModelError) {
        self.file = file
        func matrix(_ name: String, _ columns: Int, _ rows: Int) throws(ModelError) -> Tensor {
            try Tensor.load(name, from: file, columns: columns, rows: rows)
        }
        func vector(_ name: String, _ count: Int) throws(ModelError) -> [Float] {
            let tensor = try Tensor.load(name, from: file, columns: count, rows: 1)
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer {
                RowQuantization.dequantizeRow(format: tensor.format, source: tensor.data, destination: $0.baseAddress!, count: count)
            }
            return values
        }
        tokenEmbedding = try matrix("token_embd.weight", c.embeddingLength, c.vocabularySize)
        outputNorm = try vector("output_norm.weight", c.embeddingLength)
        output = file.tensorInfo("output.weight") == nil
            ? tokenEmbedding
            : try matrix("output.weight", c.embeddingLength, c.vocabularySize)
        // Layer matrices only feed products, so they may take a kernel-only layout. The
        // file's pages of a repacked matrix are dropped at once: read only by the repacking,
        // they would otherwise count twice in the resident memory.
        func layerMatrix(_ name: String, _ columns: Int, _ rows: Int) throws(ModelError) -> Tensor {
            let tensor = try matrix(name, columns, rows)
            let kernels = tensor.repackedForKernels()
            if kernels.storage != nil, let info = file.tensorInfo(name) { file.releasePages(of: info) }
            return kernels
        }
        var layers: [LlamaLayerWeights] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", c.embeddingLength),
                query: try layerMatrix(p + "attn_q.weight", c.embeddingLength, c.queryDimension),
                key: try layerMatrix(p + "attn_k.weight", c.embeddingLength, c.kvDimension),
                value: try layerMatrix(p + "attn_v.weight", c.embeddingLength, c.kvDimension),
                output: try layerMatrix(p + "attn_output.weight", c.queryDimension, c.embeddingLength),
                ffnNorm: try vector(p + "ffn_norm.weight", c.embeddingLength),
                gate: try layerMatrix(p + "ffn_gate.weight", c.embeddingLength, c.feedForwardLength),
                up: try layerMatrix(p + "ffn_up.weight", c.embeddingLength, c.feedForwardLength),
                down: try layerMatrix(p + "ffn_down.weight", c.feedForwardLength, c.embeddingLength)))
        }
        self.layers = layers
        // Only matrices used in place are read from the file from now on: the norms were
        // copied, the repacked matrices' pages dropped above except where a page also
        // holds a neighbour's bytes. Drop those edge pages too (~2 MB for SmolLM2).
        let inPlace = [tokenEmbedding, output] + layers.flatMap {
            [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down].filter { $0.storage == nil }
        }
        file.releasePages(keeping: inPlace.compactMap { file.tensorInfo($0.name) })
    }
}
