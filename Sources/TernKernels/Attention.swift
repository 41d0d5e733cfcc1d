import Foundation

/// Causal grouped-query attention of one query token over a contiguous cache.
///
/// The cache holds `length` positions, each `kvDimension = kvHeads · headDimension`
/// floats; query head h reads kv head `h / (heads / kvHeads)`.
public enum Attention {
    /// - Parameters:
    ///   - query: (heads, headDimension) for one token.
    ///   - keys, values: (length, kvHeads · headDimension), positions 0..<length.
    ///   - output: (heads, headDimension).
    ///   - scores: scratch of at least `length` floats.
    ///   - headRange: the heads to compute (threads split heads).
    public static func attend(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        length: Int, heads: Int, kvHeads: Int, headDimension: Int,
        output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>, headRange: Range<Int>
    ) {
        let group = heads / kvHeads
        let kvDimension = kvHeads * headDimension
        let scale = 1 / Float(headDimension).squareRoot()
        for h in headRange {
            let q = query + h * headDimension
            let kvOffset = (h / group) * headDimension
            for t in 0..<length {
                scores[t] = dot(q, keys + t * kvDimension + kvOffset, headDimension) * scale
            }
            Softmax.apply(scores, count: length)
            let out = output + h * headDimension
            out.update(repeating: 0, count: headDimension)
            for t in 0..<length {
                axpy(scores[t], values + t * kvDimension + kvOffset, out, headDimension)
            }
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            // `+= *`, not addProduct: without FMA in the baseline that is a libm call per lane.
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var sum = acc.sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    @inline(__always)
    static func axpy(_ w: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] += w * x[i] }
    }
}
