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
