import CTernKernels

/// Causal grouped-query attention over an f16 key/value cache.
///
/// The cache holds, per position, `kvHeads · headDimension` keys and as many
/// values, both f16 (as llama.cpp keeps them: half the memory of f32). Query
/// head h reads kv head `h / (heads / kvHeads)`. The arithmetic is llama.cpp's
/// CPU flash attention (query rounded to f16, one pass with a running maximum,
/// values summed in f16), so logits stay on llama.cpp's side of near ties.
public enum Attention {
    /// Where a sequence's positions live in a paged cache: position t is slot
    /// `t % blockSize` of block `table[t / blockSize]`, and block b starts
    /// `b · blockStride` values after the cache's base pointer.
    public struct Pages {
        public var table: UnsafePointer<Int32>
        public var blockSize: Int
        public var blockStride: Int

        public init(table: UnsafePointer<Int32>, blockSize: Int, blockStride: Int) {
            precondition(blockSize > 0)
            self.table = table
            self.blockSize = blockSize
            self.blockStride = blockStride
        }
    }

    /// Attention over positions `0..<length` laid out in `pages`.
    /// - Parameters:
    ///   - query: (heads, headDimension) f32 for one token.
    ///   - keys, values: base of the cache; rows of `kvHeads · headDimension` f16 per position.
    ///   - output: (heads, headDimension).
    ///   - headRange: the heads to compute (threads split heads).
    public static func attend(
        query: UnsafePointer<Float>, keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>, pages: Pages,
        length: Int, heads: Int, kvHeads: Int, headDimension: Int,
        output: UnsafeMutablePointer<Float>, headRange: Range<Int>,
        kernels: Kernels = .best
    ) {
        precondition(headDimension <= 1024)  // the C kernel's stack buffer; ModelConfig validates this
        let group = heads / kvHeads
        let stride = kvHeads * headDimension
        let scale = 1 / Float(headDimension).squareRoot()
        for h in headRange {
            let kvOffset = (h / group) * headDimension
            kernels.table.attendF16(
                query + h * headDimension, keys + kvOffset, values + kvOffset, Int64(length), Int64(stride),
                pages.table, Int64(pages.blockSize), Int64(pages.blockStride), Int64(headDimension), scale,
                output + h * headDimension)
        }
    }

    /// Most queries (tokens × heads of one kv group) one `attend(tokens:...)` call takes.
    public static let maxQueriesPerCall = Int(TERN_ATTEND_MAX_QUERIES)

    /// Attention of the query heads that read kv head `kvHead`, for `tokens` consecutive
    /// tokens of one sequence: token j attends to positions `0..<firstLength + j`. Results
    /// are identical to `attend(query:...)` per token; each key and value row read from the
    /// cache serves every query (prompt processing).
    /// - Parameters:
    ///   - query: token 0's (heads, headDimension) f32; token j's starts `j · queryStride` later.
    ///   - output: like `query`, with `outputStride`.
    ///   - tokens: at most `maxQueriesPerCall / (heads / kvHeads)`.
    public static func attend(
        query: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>,
        pages: Pages, firstLength: Int, tokens: Int, heads: Int, kvHeads: Int, kvHead: Int, headDimension: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, kernels: Kernels = .best
    ) {
        let group = heads / kvHeads
        precondition(headDimension <= 1024 && firstLength >= 1 && tokens >= 1 && tokens * group <= maxQueriesPerCall)
        let kvOffset = kvHead * headDimension
        tern_attend_f16_tokens(
            kernels.table.table, query + kvHead * group * headDimension, Int64(queryStride),
            output + kvHead * group * headDimension, Int64(outputStride), Int64(tokens), Int64(group),
            Int64(firstLength), keys + kvOffset, values + kvOffset, Int64(kvHeads * headDimension), pages.table,
            Int64(pages.blockSize), Int64(pages.blockStride), Int64(headDimension), 1 / Float(headDimension).squareRoot())
    }

    /// Attention over a contiguous cache: positions `0..<length`, one row after another.
    public static func attend(
        query: UnsafePointer<Float>, keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>,
        length: Int, heads: Int, kvHeads: Int, headDimension: Int,
        output: UnsafeMutablePointer<Float>, headRange: Range<Int>,
        kernels: Kernels = .best
    ) {
        var only: Int32 = 0
        withUnsafePointer(to: &only) {
            attend(
                query: query, keys: keys, values: values, pages: Pages(table: $0, blockSize: max(length, 1), blockStride: 0),
                length: length, heads: heads, kvHeads: kvHeads, headDimension: headDimension, output: output,
                headRange: headRange, kernels: kernels)
        }
    }

    /// Converts `count` floats to f16 bit patterns (round to nearest even), for writing the cache.
    public static func convertToHalf(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, count: Int, kernels: Kernels = .best
    ) {
        kernels.table.convertF16(source, destination, Int64(count))
    }
}
