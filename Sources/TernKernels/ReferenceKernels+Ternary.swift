/// Ternary formats: each value is (code − 1) · d with code 0, 1 or 2, so −d, 0 or +d
/// (BitNet b1.58, TriLM). Layouts:
/// - tq1_0 (54 bytes per 256 values, ggml's): qs[48], qh[4], f16 d. Each byte packs five
///   codes (four in qh) as the base-3 fraction ⌈v · 256 / 243⌉, first code most
///   significant; code n of a byte is ((byte · 3ⁿ mod 256) · 3) >> 8. qs[m] (m < 32) holds
///   values m + 32n; qs[32 + m] (m < 16) values 160 + m + 16n; qh[j] values 240 + j + 4n.
/// - tq2_0 (66 bytes per 256 values, ggml's): qs[64], f16 d; bits 2n…2n+1 of qs[32h + m]
///   are the code of value 128h + 32n + m.
/// - t2_64 (18 bytes per 64 values, Tern's own, type id 0x7400): f16 d, qs[16]; bits
///   2n…2n+1 of qs[j] are the code of value j + 16n, so a 16-byte load and four shifts
///   give the values in order.
///
/// ggml quantizes tq1_0/tq2_0 with d = the block's largest magnitude and code =
/// round(x / d) + 1. t2_64 uses BitNet b1.58's absmean rule for the codes (γ = mean |x|,
/// code = clamp(round(x / γ), −1, 1) + 1) and stores as d the mean |x| of the values
/// coded ±1, the least-squares scale for those codes: weights that are already ternary
/// (±a and 0) come back as exactly ±a (after f16 rounding).
extension ReferenceKernels {
    /// round(v) clamped to −1…1, plus one (ties away from zero); NaN gives 1, a zero.
    static func ternaryCode(_ v: Float) -> Int { v >= 0.5 ? 2 : v <= -0.5 ? 0 : 1 }

    /// Digit `n` (most significant first) of a base-3 fraction byte.
    static func trit(_ byte: UInt8, _ n: Int) -> Int {
        var q = byte
        for _ in 0..<n { q = q &* 3 }
        return (Int(q) * 3) >> 8
    }

    /// ggml's ⌈v · 256 / 243⌉ packing of base-3 digits.
    static func packTrits(_ v: Int) -> UInt8 { UInt8((v * 256 + 242) / 243) }

    /// Byte offset of the f16 scale within a block.
    static func ternaryScaleOffset(_ format: WeightFormat) -> Int {
        switch format {
        case .tq1_0: 52
        case .tq2_0: 64
        default: 0
        }
    }

    /// The codes (0…3) of one block, in value order.
    static func ternaryCodes(format: WeightFormat, _ block: UnsafeRawPointer) -> [Int] {
        let byte = { (offset: Int) in block.load(fromByteOffset: offset, as: UInt8.self) }
        var codes = [Int](repeating: 0, count: format.blockSize)
        switch format {
        case .tq2_0:
            for h in 0..<2 {
                for n in 0..<4 {
                    for m in 0..<32 { codes[128 * h + 32 * n + m] = Int(byte(32 * h + m) >> (2 * n) & 3) }
                }
            }
        case .tq1_0:
            for n in 0..<5 {
                for m in 0..<32 { codes[32 * n + m] = trit(byte(m), n) }
                for m in 0..<16 { codes[160 + 16 * n + m] = trit(byte(32 + m), n) }
            }
            for n in 0..<4 {
                for j in 0..<4 { codes[240 + 4 * n + j] = trit(byte(48 + j), n) }
            }
        default:
            for n in 0..<4 {
                for j in 0..<16 { codes[16 * n + j] = Int(byte(2 + j) >> (2 * n) & 3) }
            }
        }
        return codes
    }

    static func dequantizeTernaryBlock(format: WeightFormat, _ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, ternaryScaleOffset(format))
        for (j, code) in ternaryCodes(format: format, block).enumerated() { y[j] = Float(code - 1) * d }
    }

    /// ggml's quantize_row_tq1_0_ref / tq2_0_ref for one block of 256.
    static func quantizeBlockTQ(format: WeightFormat, _ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<256 {
            let a = abs(x[j])
            amax = amax > a ? amax : a  // ggml's MAX(), NaN handling included
        }
        let id = amax != 0 ? 1 / amax : 0
        let c = (0..<256).map { ternaryCode(x[$0] * id) }
        let store = { (value: UInt8, offset: Int) in block.storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }
        if format == .tq2_0 {
            for h in 0..<2 {
                for m in 0..<32 {
                    let v = 128 * h + m
                    store(UInt8(c[v] | c[v + 32] << 2 | c[v + 64] << 4 | c[v + 96] << 6), 32 * h + m)
                }
            }
        } else {
            for m in 0..<32 { store(packTrits(c[m] * 81 + c[m + 32] * 27 + c[m + 64] * 9 + c[m + 96] * 3 + c[m + 128]), m) }
            for m in 0..<16 {
                let v = 160 + m
                store(packTrits(c[v] * 81 + c[v + 16] * 27 + c[v + 32] * 9 + c[v + 48] * 3 + c[v + 64]), 32 + m)
            }
            for j in 0..<4 {
                let v = 240 + j
                store(packTrits((c[v] * 27 + c[v + 4] * 9 + c[v + 8] * 3 + c[v + 12]) * 3), 48 + j)
            }
        }
        block.storeBytes(of: Half.f32ToF16(amax), toByteOffset: ternaryScaleOffset(format), as: UInt16.self)
    }

    /// Tern's t2_64 for one block of 64: absmean codes, then the least-squares scale.
    static func quantizeBlockT2(_ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        var total: Float = 0
        for j in 0..<64 { total += abs(x[j]) }
        let gamma = total / 64
        let id: Float = gamma > 0 ? 1 / gamma : 0  // NaN or zero: every code is 0
        let c = (0..<64).map { ternaryCode(x[$0] * id) }
        var kept: Float = 0
        var count = 0
        for j in 0..<64 where c[j] != 1 {
            kept += abs(x[j])
            count += 1
        }
        // Capped at the largest finite f16: ±inf would turn zero codes into NaN.
        let d = Swift.min(count > 0 ? kept / Float(count) : 0, 65504)
        block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
        for j in 0..<16 {
            block.storeBytes(
                of: UInt8(c[j] | c[j + 16] << 2 | c[j + 32] << 4 | c[j + 48] << 6), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Σ W[c] · x[c] for one ternary row, as the fast kernels compute it: the
    /// activations of each weight block are quantized together to int8 (one scale
    /// d = amax / 127 per block, q = round-half-even(x · 127 / amax)), then each block
    /// adds d_w · (d · Σ code · q − d · Σ q).
    static func ternaryDot(format: WeightFormat, row: UnsafeRawPointer, activations: UnsafePointer<Float>, count: Int)
        -> Float
    {
        let n = format.blockSize
        var sum: Float = 0
        for i in 0..<count / n {
            let block = row + i * format.bytesPerBlock
            let x = activations + i * n
            var amax: Float = 0
            for j in 0..<n { amax = Swift.max(amax, abs(x[j])) }
            let d = amax / 127
            let id = amax != 0 ? 127 / amax : 0
            let codes = ternaryCodes(format: format, block)
            var isum = 0, qsum = 0
            for j in 0..<n {
                let r = (x[j] * id).rounded(.toNearestOrEven)
                let q = r.isNaN ? 0 : Int(Swift.min(Swift.max(r, -128), 127))
                isum += codes[j] * q
                qsum += q
            }
            sum += half(block, ternaryScaleOffset(format)) * (d * Float(isum) + -d * Float(qsum))
        }
        return sum
    }
}

extension ReferenceKernels {
    /// `rows` × `columns` tq1_0 or tq2_0 weights as t2_64, value for value: each block
    /// of 256 becomes four blocks of 64 with its f16 scale's bits and its codes.
    static func ternaryToT2(_ weights: [UInt8], format: WeightFormat, rows: Int, columns: Int) -> [UInt8] {
        precondition(format == .tq1_0 || format == .tq2_0, "only ggml's ternary formats convert")
        var out = [UInt8](repeating: 0, count: rows * columns / 64 * 18)
        weights.withUnsafeBytes { source in
            for block in 0..<rows * columns / 256 {
                let start = source.baseAddress! + block * format.bytesPerBlock
                let codes = ternaryCodes(format: format, start)
                let scale = ternaryScaleOffset(format)
                for q in 0..<4 {
                    let base = (4 * block + q) * 18
                    out[base] = weights[block * format.bytesPerBlock + scale]
                    out[base + 1] = weights[block * format.bytesPerBlock + scale + 1]
                    for j in 0..<16 {
                        var byte = 0  // value j + 16n in bits 2n...2n+1, as t2_64 stores it
                        for n in 0..<4 { byte |= codes[64 * q + j + 16 * n] << (2 * n) }
                        out[base + 2 + j] = UInt8(byte)
                    }
                }
            }
        }
        return out
    }

    /// `rows` × `columns` t2_64 weights in t2_64r's layout (the specification
    /// `TernaryRepacking.repack` must match byte for byte): rows 0..<32G in groups
    /// of 32, per group and 64-column block the 32 f16 scales, then 16 chunks of 32
    /// bytes; byte j of chunk k belongs to row σ(j) (j, j + 8, j − 8, j for j in
    /// 0..<8, 8..<16, 16..<24, 24..<32) and holds in its low nibble the codes of
    /// values 2k, 2k + 1 (c₀ | c₁ << 2), in its high nibble those of 2k + 32, 2k + 33.
    /// The rows past the groups stay as they are. tq1_0 and tq2_0 weights repack as
    /// their `ternaryToT2` conversion does.
    static func repackT2(_ weights: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        let blocks = columns / 64, rowBytes = blocks * 18, groups = rows / 32
        var out = weights
        func code(_ row: Int, _ block: Int, _ value: Int) -> UInt8 {
            weights[row * rowBytes + block * 18 + 2 + value % 16] >> (2 * (value / 16)) & 3
        }
        func sigma(_ j: Int) -> Int { j < 8 ? j : j < 16 ? j + 8 : j < 24 ? j - 8 : j }
        for g in 0..<groups {
            for b in 0..<blocks {
                let base = (g * blocks + b) * 576
                for r in 0..<32 {
                    out[base + 2 * r] = weights[(32 * g + r) * rowBytes + b * 18]
                    out[base + 2 * r + 1] = weights[(32 * g + r) * rowBytes + b * 18 + 1]
                }
                for k in 0..<16 {
                    for j in 0..<32 {
                        let r = 32 * g + sigma(j)
                        let low = code(r, b, 2 * k) | code(r, b, 2 * k + 1) << 2
                        let high = code(r, b, 2 * k + 32) | code(r, b, 2 * k + 33) << 2
                        out[base + 64 + 32 * k + j] = low | high << 4
                    }
                }
            }
        }
        return out
    }
}
