/// RMS normalisation: `out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i]`.
public enum RMSNorm {
    /// Normalises `rows` rows of `count` values from `input` into `output` (may alias).
    public static func apply(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        count: Int, rows: Int = 1, epsilon: Float
    ) {
        for r in 0..<rows {
            let x = input + r * count
            let y = output + r * count
            // Sum in double like ggml does (ggml_float), so the scale matches llama.cpp closely.
            var sum: Double = 0
            var i = 0
            var acc = SIMD8<Float>()
            while i + 8 <= count {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                acc += v * v  // not addProduct: without FMA in the baseline it becomes a libm call per lane
                i += 8
            }
            sum = Double(acc.sum())
            while i < count { sum += Double(x[i] * x[i]); i += 1 }
            let scale = Float(1.0 / (sum / Double(count) + Double(epsilon)).squareRoot())
            for j in 0..<count { y[j] = x[j] * scale * weight[j] }
        }
    }
}
