/// Scalar kernels written to be read: the specification every fast path is
/// tested against. Block layouts and rounding are ggml's (`quantize_row_*_ref`,
/// `dequantize_row_*`), so a row quantized here is byte-identical to llama.cpp's.
///
/// Layouts, per block of 32 values (scales are f16 bit patterns):
/// - q4_0 (18 bytes): d, then 16 bytes; value j < 16 is the low nibble of byte j,
///   value j + 16 its high nibble; value = (q - 8) · d.
/// - q4_1 (20 bytes): d, m, then 16 bytes of nibbles as q4_0; value = q · d + m.
/// - q8_0 (34 bytes): d, then 32 int8; value = q · d.
/// - q8_1 (36 bytes): d, s = d · Σq, then 32 int8; value = q · d.
/// - mxfp4, nvfp4: FP4 codes with power-of-two or UE4M3 scales (ReferenceKernels+FP4.swift).
/// - tq1_0, tq2_0, t2_64: ternary codes times a block scale (ReferenceKernels+Ternary.swift).
public enum ReferenceKernels {
    /// Expands `count` values in `format` at `source` to f32.
    /// - Parameters:
    ///   - format: the layout of `source`.
    ///   - source: `format.rowBytes(count)` bytes, any alignment.
    ///   - destination: room for `count` floats.
    ///   - count: values in the row; a multiple of `format.blockSize`.
    public static func dequantizeRow(
        format: WeightFormat, source: UnsafeRawPointer, destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        precondition(count % format.blockSize == 0, "count must be a whole number of blocks")
        for i in 0..<count / format.blockSize {
            let block = source + i * format.bytesPerBlock
            let y = destination + i * format.blockSize
            switch format {
            case .f32: y[0] = block.loadUnaligned(as: Float.self)
            case .f16: y[0] = Half.f16ToF32(block.loadUnaligned(as: UInt16.self))
            case .bf16: y[0] = Half.bf16ToF32(block.loadUnaligned(as: UInt16.self))
            case .q4_0:
                let d = half(block, 0)
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    y[j] = Float(Int(byte & 0x0f) - 8) * d
                    y[j + 16] = Float(Int(byte >> 4) - 8) * d
                }
            case .q4_1:
                let d = half(block, 0), m = half(block, 2)
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    y[j] = Float(byte & 0x0f) * d + m
                    y[j + 16] = Float(byte >> 4) * d + m
                }
            case .q8_0, .q8_1:
                let d = half(block, 0)
                let offset = format == .q8_0 ? 2 : 4
                for j in 0..<32 { y[j] = Float(block.load(fromByteOffset: offset + j, as: Int8.self)) * d }
            case .mxfp4: dequantizeBlockMXFP4(block, y)
            case .nvfp4: dequantizeBlockNVFP4(block, y)
            case .tq1_0, .tq2_0, .t2_64: dequantizeTernaryBlock(format: format, block, y)
            case .t2_64r: preconditionFailure("t2_64r rows are interleaved: expand the t2_64 tensor instead")
            case .q4_0r, .q4_1r: preconditionFailure("\(format) rows are interleaved: use Q4Repacking.dequantizeRow")
            }
        }
    }

    /// Packs `count` floats into `format`, rounding as ggml's reference quantizers.
    /// - Parameters:
    ///   - format: the layout to write.
    ///   - source: `count` floats.
    ///   - destination: room for `format.rowBytes(count)` bytes, any alignment.
    ///   - count: values in the row; a multiple of `format.blockSize`.
    public static func quantizeRow(
        format: WeightFormat, source: UnsafePointer<Float>, destination: UnsafeMutableRawPointer, count: Int
    ) {
        precondition(count % format.blockSize == 0, "count must be a whole number of blocks")
        for i in 0..<count / format.blockSize {
            let x = source + i * format.blockSize
            let block = destination + i * format.bytesPerBlock
            switch format {
            case .f32: block.storeBytes(of: x[0], as: Float.self)
            case .f16: block.storeBytes(of: Half.f32ToF16(x[0]), as: UInt16.self)
            case .bf16: block.storeBytes(of: Half.f32ToBF16(x[0]), as: UInt16.self)
            case .q4_0: quantizeBlockQ4_0(x, block)
            case .q4_1: quantizeBlockQ4_1(x, block)
            case .q8_0:
                let (d, _) = quantizeBlockQ8(x, block + 2)
                block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
            case .q8_1:
                let (d, sum) = quantizeBlockQ8(x, block + 4)
                block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
                block.storeBytes(of: Half.f32ToF16(Float(sum) * d), toByteOffset: 2, as: UInt16.self)
            case .mxfp4: quantizeBlockMXFP4(x, block)
            case .nvfp4: quantizeBlockNVFP4(x, block)
            case .tq1_0, .tq2_0: quantizeBlockTQ(format: format, x, block)
            case .t2_64: quantizeBlockT2(x, block)
            case .t2_64r: preconditionFailure("t2_64r is made by TernaryRepacking.repack, not quantized")
            case .q4_0r, .q4_1r: preconditionFailure("\(format) is made by Q4Repacking.repack, not quantized")
            }
        }
    }

    // The scale keeps the sign of the largest-magnitude value, which maps to -8.
    private static func quantizeBlockQ4_0(_ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        let d = max / -8
        let id = d != 0 ? 1 / d : 0
        block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
        for j in 0..<16 {
            let q0 = Swift.min(15, truncated(x[j] * id + 8.5))
            let q1 = Swift.min(15, truncated(x[j + 16] * id + 8.5))
            block.storeBytes(of: UInt8(truncatingIfNeeded: q0 | q1 << 4), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    private static func quantizeBlockQ4_1(_ x: UnsafePointer<Float>, _ block: UnsafeMutableRawPointer) {
        var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < min { min = x[j] }
            if x[j] > max { max = x[j] }
        }
        let d = (max - min) / 15
        let id = d != 0 ? 1 / d : 0
        block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
        block.storeBytes(of: Half.f32ToF16(min), toByteOffset: 2, as: UInt16.self)
        for j in 0..<16 {
            let q0 = Swift.min(15, truncated((x[j] - min) * id + 0.5))
            let q1 = Swift.min(15, truncated((x[j + 16] - min) * id + 0.5))
            block.storeBytes(of: UInt8(truncatingIfNeeded: q0 | q1 << 4), toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    /// Packs `count` activations into q8_0 or q8_1 blocks the way llama.cpp does at
    /// run time on x86: q = round-half-even(x · 127 / amax). Weights use `quantizeRow`
    /// (ggml's reference rounding); the two differ only on exact ties.
    static func quantizeActivations(
        format: WeightFormat, source x: UnsafePointer<Float>, destination y: UnsafeMutableRawPointer, count: Int
    ) {
        precondition(format == .q8_0 || format == .q8_1)  // activation formats only
        for i in 0..<count / 32 {
            let block = y + i * format.bytesPerBlock
            let values = x + i * 32
            var amax: Float = 0
            for j in 0..<32 { amax = Swift.max(amax, abs(values[j])) }
            let id = amax != 0 ? 127 / amax : 0
            var sum = 0
            let qs = block + (format == .q8_1 ? 4 : 2)
            for j in 0..<32 {
                let q = Int8(clamping: truncated((values[j] * id).rounded(.toNearestOrEven)))
                qs.storeBytes(of: q, toByteOffset: j, as: Int8.self)
                sum += Int(q)
            }
            let d = amax / 127
            block.storeBytes(of: Half.f32ToF16(d), as: UInt16.self)
            if format == .q8_1 {
                block.storeBytes(of: Half.f32ToF16(Float(sum) * d), toByteOffset: 2, as: UInt16.self)
            }
        }
    }

    /// Writes 32 int8 q = round(x / d) with d = amax / 127 to `qs`; returns the
    /// unrounded d and Σq.
    static func quantizeBlockQ8(_ x: UnsafePointer<Float>, _ qs: UnsafeMutableRawPointer) -> (d: Float, sum: Int) {
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id = d != 0 ? 1 / d : 0
        var sum = 0
        for j in 0..<32 {
            let q = truncated((x[j] * id).rounded())  // .rounded() ties away from zero, as roundf
            qs.storeBytes(of: Int8(clamping: q), toByteOffset: j, as: Int8.self)
            sum += Int(Int8(clamping: q))
        }
        return (d, sum)
    }

    /// C's float-to-int truncation, made total: NaN gives 0 and huge values
    /// clamp instead of trapping (a model file may hold anything).
    private static func truncated(_ x: Float) -> Int {
        guard !x.isNaN else { return 0 }
        return Int(Swift.min(Swift.max(x, -1e9), 1e9))
    }

    /// The f16 at `offset` in `block`, as f32.
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Half.f16ToF32(block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
