import CTernKernels

extension Attention {
    /// Fewest tokens of one chunk that `attendTiled` is for: llama.cpp's CPU flash attention
    /// takes its tiled path from 64 queries per batch (`GGML_FA_TILE_Q`), its one-query path below.
    public static let tiledMinimumTokens = Int(TERN_ATTEND_TILED_MIN_TOKENS)

    /// Causal attention of `tokens` consecutive tokens of one sequence (every query head),
    /// computed in tiles as llama.cpp computes a batch of 64 or more queries: f32 query,
    /// f32 scores of a tile of query rows against a tile of 64 keys (each f16 key and value
    /// row converted to f32 once per tile), a running maximum per key tile, f32 sums of
    /// values. Token j attends to positions `0..<firstLength + j`.
    ///
    /// Call it from every thread of a pool with that thread's index: each takes about the
    /// same share of the causal work, and a token's result does not depend on the split
    /// (nor on which other tokens share the call).
    /// - Parameters:
    ///   - query: token 0's (heads, headDimension) f32; token j's starts `j · queryStride` later.
    ///   - keys, values: base of the cache; rows of `kvHeads · headDimension` f16 per position.
    ///   - output: like `query`, with `outputStride`.
    ///   - thread, threadCount: this caller's share.
    public static func attendTiled(
        query: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>,
        pages: Pages, firstLength: Int, tokens: Int, heads: Int, kvHeads: Int, headDimension: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, thread: Int = 0, threadCount: Int = 1,
        kernels: Kernels = .best
    ) {
        // Programmer errors: the model validates its shapes, the caller its thread index.
        precondition(headDimension <= 1024 && firstLength >= 1 && tokens >= 1 && heads % kvHeads == 0)
        precondition(thread >= 0 && thread < threadCount)
        tern_attend_f16_tiled(
            kernels.table.table, query, Int64(queryStride), output, Int64(outputStride), Int64(tokens), Int64(heads),
            Int64(kvHeads), Int64(firstLength), keys, values, pages.table, Int64(pages.blockSize),
            Int64(pages.blockStride), Int64(headDimension), 1 / Float(headDimension).squareRoot(), Int64(thread),
            Int64(threadCount))
    }

    /// e^x for x ≤ 0 as `attendTiled` computes it on `kernels`' path (tests check it).
    static func exponential(_ x: [Float], kernels: Kernels) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        tern_attention_exp(kernels.table.table, x, &y, Int64(x.count))
        return y
    }
}
