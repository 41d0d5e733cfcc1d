import Foundation  // log2f, as ggml's quantizer calls it

/// MXFP4 and NVFP4, the FP4 microscaling formats, in ggml's layouts
/// (`block_mxfp4`, `block_nvfp4`; `quantize_row_mxfp4_ref`, `quantize_row_nvfp4_ref`).
///
/// A value is a 4-bit E2M1 code (sign, 2 exponent bits, 1 mantissa bit: ±0, 0.5, 1,
/// 1.5, 2, 3, 4, 6) times a block scale. ggml keeps the codes doubled as integers
/// (`fp4Values`) and halves the scales, so value = fp4Values[code] · halfScale.
/// - mxfp4 (17 bytes per 32 values): an E8M0 exponent e (scale 2^(e − 127)), then 16
///   bytes of codes; value j < 16 is byte j's low nibble, value j + 16 its high nibble.
/// - nvfp4 (36 bytes per 64 values): four UE4M3 scales, one per 16 values, then 32
///   bytes of codes; sub-block s uses bytes 8s ..< 8s + 8, low nibbles for its values
///   0 ..< 8 and high nibbles for 8 ..< 16.
extension ReferenceKernels {
    /// The 16 E2M1 codes' values, doubled: code 8 is −0.
    static let fp4Values: [Int8] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

    /// Half of the E8M0 scale 2^(e − 127), exactly (f32 subnormals for e < 2).
    /// e = 255, NaN in the OCP spec, reads as 2^127, as in ggml.
    static func e8m0Half(_ e: UInt8) -> Float {
        e < 2 ? Float(bitPattern: 0x0020_0000 << UInt32(e)) : Float(bitPattern: UInt32(e - 1) << 23)
    }

    /// Half of the UE4M3 scale `x` (4 exponent bits with bias 7, 3 mantissa bits), as
    /// ggml reads it: 0x7f (NaN) is 0 and the sign bit is ignored, except that 0xff
    /// reads as 240.
    static func ue4m3Half(_ x: UInt8) -> Float {
        if x == 0 || x == 0x7f { return 0 }
        let exponent = Int(x >> 3) & 0xf, mantissa = Float(x & 7)
        let value = exponent == 0
            ? mantissa * 0x1p-9
            : Float(sign: .plus, exponent: exponent - 7, significand: 1 + mantissa / 8)
        return value * 0.5
    }

    /// ggml's f32 → UE4M3: the mantissa rounds half up from the f32 bits; below 2^−6
    /// the subnormal m · 2^−9 with m = ⌊x · 512 + 0.5⌋ capped at 7; 256 and up clamp to
    /// 448; zero, negatives and NaN give 0.
    static func ue4m3(_ value: Float) -> UInt8 {
        guard value > 0 else { return 0 }
        let x = Swift.min(value, 448)
        var exponent = Int(x.bitPattern >> 23 & 0xff) - 127 + 7
        if exponent <= 0 {
            let m = Int(x * 512 + 0.5)
            return UInt8(Swift.min(m, 7))  // m < 1 gives 0
        }
        if exponent >= 15 { return 0x7e }
        var mantissa = Int(x.bitPattern >> 20 & 7) + Int(x.bitPattern >> 19 & 1)
        if mantissa > 7 {
            mantissa = 0
            exponent += 1
            if exponent >= 15 { return 0x7e }
        }
        return UInt8(exponent << 3 | mantissa)
    }

    /// ggml's E8M0 exponent for a block whose largest magnitude is `amax`:
    /// ⌊log2f(amax)⌋ − 2 + 127, so 6 · scale is near amax. log2f rounds (a value just
    /// below 2^k can give k), and ggml's search then keeps it; so do we. Out of 0...255
    /// (amax < 2^−125, or infinite) ggml's conversion is undefined in C; x86 builds
    /// keep the low byte of the int32 conversion, 0 for infinity, and so do we.
    static func mxfp4Exponent(amax: Float) -> UInt8 {
        guard amax > 0 else { return 0 }
        let e = log2f(amax).rounded(.down) - 2 + 127
        guard e.isFinite else { return 0 }
        return UInt8(truncatingIfNeeded: Int32(e))
    }

    /// The code nearest to `x` at half scale `d`; the lowest code wins a tie and NaN
    /// gives 0 (ggml's `best_index_mxfp4`, a plain search over all 16).
    static func nearestFP4Code(_ x: Float, halfScale d: Float) -> UInt8 {
        var best = 0
        var bestError = abs(Float(fp4Values[0]) * d - x)
        for code in 1..<16 {
            let error = abs(Float(fp4Values[code]) * d - x)
            if error < bestError {
                best = code
                bestError = error
            }
        }
        return UInt8(best)
    }

    /// Largest |x[j]| for j < count; NaNs are skipped, as in ggml.
    static func absoluteMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var amax: Float = 0
        for j in 0..<count where amax < abs(x[j]) { amax = abs(x[j]) }
        return amax
    }

    /// 2 · `half` values as codes: value j < half in the low nibble of byte j, value
    /// j + half in its high nibble.
    private static func packCodes(_ x: UnsafePointer<Float>, halfScale d: Float, half: Int, _ qs: UnsafeMutableRawPointer) {
        for j in 0..<half {
            let code = nearestFP4Code(x[j], halfScale: d) | nearestFP4Code(x[j + half], halfScale: d) << 4
            qs.storeBytes(of: code, toByteOffset: j, as: UInt8.self)
        }
    }

    private static func expandCodes(_ qs: UnsafeRawPointer, halfScale d: Float, half: Int, _ y: UnsafeMutablePointer<Float>) {
        for j in 0..<half {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(fp4Values[Int(byte & 0x0f)]) * d
            y[j + half] = Float(fp4Values[Int(byte >> 4)]) * d
        }
    }

    static func quantizeBlockMXFP4(_ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        let e = mxfp4Exponent(amax: absoluteMax(x, 32))
        block.storeBytes(of: e, as: UInt8.self)
        packCodes(x, halfScale: e8m0Half(e), half: 16, block + 1)
    }

    static func quantizeBlockNVFP4(_ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        for s in 0..<4 {
            // amax / 6 maps the largest code (6) onto amax.
            let scale = ue4m3(absoluteMax(x + 16 * s, 16) / 6)
            block.storeBytes(of: scale, toByteOffset: s, as: UInt8.self)
            packCodes(x + 16 * s, halfScale: ue4m3Half(scale), half: 8, block + 4 + 8 * s)
        }
    }

    static func dequantizeBlockMXFP4(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        expandCodes(block + 1, halfScale: e8m0Half(block.load(as: UInt8.self)), half: 16, y)
    }

    static func dequantizeBlockNVFP4(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        for s in 0..<4 {
            let d = ue4m3Half(block.load(fromByteOffset: s, as: UInt8.self))
            expandCodes(block + 4 + 8 * s, halfScale: d, half: 8, y + 16 * s)
        }
    }

    /// Σ W · x for one FP4 row against activations quantized to q8_0 blocks (`y`,
    /// 34 bytes per 32 values), as llama.cpp's ggml_vec_dot_mxfp4_q8_0 /
    /// ggml_vec_dot_nvfp4_q8_0: integer sums per 32 (mxfp4) or 16 (nvfp4) values,
    /// each times (weight half-scale · activation scale).
    static func dotFP4(format: WeightFormat, row: UnsafeRawPointer, q8: UnsafeRawPointer, count: Int) -> Float {
        // Σ value(code) · qy over `half` bytes of codes against 2 · half int8.
        func codeSum(_ qs: UnsafeRawPointer, _ qy: UnsafeRawPointer, half: Int) -> Int {
            var sum = 0
            for j in 0..<half {
                let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                sum += Int(fp4Values[Int(byte & 0x0f)]) * Int(qy.load(fromByteOffset: j, as: Int8.self))
                sum += Int(fp4Values[Int(byte >> 4)]) * Int(qy.load(fromByteOffset: j + half, as: Int8.self))
            }
            return sum
        }
        var sum: Float = 0
        for i in 0..<count / 32 {
            let y = q8 + i * 34
            let dy = half(y, 0)
            switch format {
            case .mxfp4:
                let x = row + i * 17
                sum += e8m0Half(x.load(as: UInt8.self)) * dy * Float(codeSum(x + 1, y + 2, half: 16))
            case .nvfp4:
                // Activation block i covers sub-blocks 2(i % 2) and 2(i % 2) + 1 of weight block i / 2.
                let x = row + i / 2 * 36
                for h in 0..<2 {
                    let s = 2 * (i % 2) + h
                    let d = ue4m3Half(x.load(fromByteOffset: s, as: UInt8.self))
                    sum += d * dy * Float(codeSum(x + 4 + 8 * s, y + 2 + 16 * h, half: 8))
                }
            default:
                preconditionFailure("dotFP4 takes mxfp4 or nvfp4 rows")
            }
        }
        return sum
    }
}
