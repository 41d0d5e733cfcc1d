/// IEEE half-precision (f16) and bfloat16 conversions on bit patterns, in
/// plain Swift for the reference kernels and tests. Both round to nearest even,
/// as ggml does, and keep infinities, NaNs and subnormals.
public enum Half {
    /// The f32 value of the f16 bit pattern `bits` (exact: every f16 is an f32).
    public static func f16ToF32(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:  // zero or subnormal: mantissa × 2^-24
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 31:  // infinity or NaN
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// The nearest f16 to `value` (ties to even); ±inf beyond 65504, NaN stays NaN.
    public static func f32ToF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7fff_ffff
        if magnitude > 0x7f80_0000 {  // NaN: quiet, top payload bits kept
            return sign | 0x7e00 | UInt16(truncatingIfNeeded: magnitude >> 13) & 0x3ff
        }
        if magnitude >= 0x477f_f000 { return sign | 0x7c00 }  // rounds to infinity (≥ 65520)
        if magnitude < 0x3880_0000 {
            // Below the smallest normal f16 (2^-14): adding 0.5 lines the value up
            // with the f32 ulp at 0.5, which is 2^-24, the f16 subnormal step, so the
            // addition itself rounds to nearest even.
            let shifted = Float(bitPattern: magnitude) + 0.5
            return sign | UInt16(truncatingIfNeeded: shifted.bitPattern &- 0x3f00_0000)
        }
        let rebased = magnitude &- 0x3800_0000  // exponent bias 127 → 15
        let rounded = (rebased &+ 0xfff &+ ((rebased >> 13) & 1)) >> 13
        return sign | UInt16(truncatingIfNeeded: rounded)
    }

    /// The f32 value of the bfloat16 bit pattern `bits` (exact).
    public static func bf16ToF32(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The nearest bfloat16 to `value` (ties to even), as ggml's conversion.
    public static func f32ToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7fff_ffff > 0x7f80_0000 {  // NaN: force quiet
            return UInt16(truncatingIfNeeded: bits >> 16) | 64
        }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) >> 16)
    }
}
