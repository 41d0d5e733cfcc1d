import Testing
@testable import TernKernels

@Suite("FP4 quantization (mxfp4, nvfp4)")
struct FP4QuantizationTests {
    static let formats: [WeightFormat] = [.mxfp4, .nvfp4]

    // Known answers: these rows and the bytes ggml's quantize_row_mxfp4_ref /
    // quantize_row_nvfp4_ref (llama.cpp 0c1e570) writes for them.
    static let mxfp4Row: [Float] = [
        // Block 0: amax 3, so e = 126 (half scale 0.25): the eight magnitudes, their
        // negatives (−0 included), then ties (lower code wins) and values in between.
        0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, -0.0, -0.25, -0.5, -0.75, -1, -1.5, -2, -3,
        0.125, 0.375, 2.5, -2.5, 1.25, -1.25, 0.1, -0.2, 1.75, 2.9, -0.6, 0.01, 0.624, -0.626, 1.2, -2.2,
        // Block 1: amax just below 16, where log2f rounds up to 4: e = 129.
        15.999999, -7, 5, -5, 3, 1, -1, 0.5, 11, -13, 9, 7, 4.5, -3.5, 2.2, 0,
        -15, 14, 6.1, -6.1, 0.9, 1.1, -0.4, 10, 12, -12, 8, -8, 2, -2, 0.25, -0.3,
    ]
    static let mxfp4Bytes: [UInt8] = [
        0x7e, 0x00, 0x11, 0x62, 0xe3, 0x44, 0xc5, 0x06, 0x97, 0x50, 0x79, 0xaa, 0x0b, 0x2c, 0xbd, 0x4e, 0xef,
        0x81, 0xe6, 0x5b, 0x32, 0xba, 0x01, 0x10, 0x00, 0x40, 0x55, 0xdd, 0x44, 0xc3, 0x12, 0x9a, 0x01, 0x00,
    ]
    static let nvfp4Row: [Float] = [
        // amax 6: scale 1 (0x38)
        6, -6, 4, -4, 3, -3, 2, -2, 1.5, -1.5, 1, -1, 0.5, -0.5, 0.25, -0.0,
        // amax 0.05: amax / 6 is below 2^-6, a subnormal scale (4 · 2^-9)
        0.05, -0.04, 0.03, -0.02, 0.01, 0.005, -0.001, 0, 0.045, -0.035, 0.025, -0.015, 0.008, 0.002, -0.05, 0.0125,
        // all zero: scale 0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // amax 2000: amax / 6 is above 256 and clamps to 448 (0x7e)
        2000, -1000, 500, 250, -125, 60, 30, -15, 1500, 1300, -900, 700, 0, -100, 1999, -2000,
    ]
    static let nvfp4Bytes: [UInt8] = [
        0x38, 0x04, 0x00, 0x7e, 0x37, 0xbf, 0x26, 0xae, 0x15, 0x9d, 0x04, 0x0c, 0x77, 0xef, 0x56, 0xcd,
        0x23, 0x11, 0xf0, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x56, 0x5c, 0xc2, 0x31,
        0x09, 0x00, 0x60, 0xe0,
    ]

    private func quantized(_ format: WeightFormat, _ values: [Float], fast: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xa5, count: format.rowBytes(values.count) ?? 0)
        if fast {
            RowQuantization.quantizeRow(format: format, source: values, destination: &bytes, count: values.count)
        } else {
            ReferenceKernels.quantizeRow(format: format, source: values, destination: &bytes, count: values.count)
        }
        return bytes
    }

    @Test("The reference and the C quantizer write ggml's bytes for the known rows", arguments: [true, false])
    func knownAnswers(fast: Bool) {
        #expect(quantized(.mxfp4, Self.mxfp4Row, fast: fast) == Self.mxfp4Bytes)
        #expect(quantized(.nvfp4, Self.nvfp4Row, fast: fast) == Self.nvfp4Bytes)
    }

    @Test("E8M0 scales are powers of two, halved; UE4M3 scales as ggml reads them")
    func scaleConversions() {
        #expect(ReferenceKernels.e8m0Half(0) == 0x1p-128)
        #expect(ReferenceKernels.e8m0Half(1) == 0x1p-127)
        #expect(ReferenceKernels.e8m0Half(127) == 0.5)
        #expect(ReferenceKernels.e8m0Half(255) == 0x1p127)
        #expect(ReferenceKernels.ue4m3Half(0x38) == 0.5)  // 1.0
        #expect(ReferenceKernels.ue4m3Half(0x04) == 4 * 0x1p-10)  // subnormal 4 · 2^-9
        #expect(ReferenceKernels.ue4m3Half(0x7e) == 224)  // 448, the largest
        #expect(ReferenceKernels.ue4m3Half(0x7f) == 0)  // NaN reads as 0
        #expect(ReferenceKernels.ue4m3Half(0xff) == 240)  // the sign bit is ignored, but not for NaN
        #expect(ReferenceKernels.ue4m3Half(0x80) == 0)
        #expect(ReferenceKernels.ue4m3(1) == 0x38)
        #expect(ReferenceKernels.ue4m3(1.0625) == 0x39)  // a half step rounds up
        #expect(ReferenceKernels.ue4m3(300) == 0x7e)  // from 256 up: 448
        #expect(ReferenceKernels.ue4m3(0.0155) == 7)  // just below 2^-6: the subnormal caps at 7
        #expect(ReferenceKernels.ue4m3(.nan) == 0)
        #expect(ReferenceKernels.ue4m3(-1) == 0)
    }

    @Test("A hand-built mxfp4 block: code j's doubled E2M1 value times half the scale, low nibbles first")
    func handBuiltMXFP4() {
        // e = 128: scale 2, half scale 1, so values are the doubled table itself.
        let block: [UInt8] = [128] + (0..<16).map { j in UInt8(j) | UInt8(15 - j) << 4 }
        let doubled: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]
        for kernels in KernelTable.available {
            var values = [Float](repeating: .nan, count: 32)
            kernels.dequantizeRow(Int32(WeightFormat.mxfp4.rawValue), block, &values, 32)
            #expect(values == doubled + doubled.reversed(), "\(kernels.name)")
        }
    }

    @Test("A hand-built nvfp4 block: each 16 values take their own scale, low nibbles first")
    func handBuiltNVFP4() {
        let scales: [UInt8] = [0x38, 0x40, 0x00, 0x30]  // 1, 2, 0, 0.5; halved: 0.5, 1, 0, 0.25
        let block = scales + (0..<32).map { j in UInt8(j % 16) | UInt8(15 - j % 16) << 4 }
        let doubled: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]
        var expected: [Float] = []
        for s in 0..<4 {
            let half = [Float(0.5), 1, 0, 0.25][s]
            let codes = (0..<8).map { (8 * s + $0) % 16 }
            expected += codes.map { doubled[$0] * half } + codes.map { doubled[15 - $0] * half }
        }
        for kernels in KernelTable.available {
            var values = [Float](repeating: .nan, count: 64)
            kernels.dequantizeRow(Int32(WeightFormat.nvfp4.rawValue), block, &values, 64)
            #expect(values == expected, "\(kernels.name)")
        }
    }

    @Test("Every value becomes the nearest code at its block's scale", arguments: formats)
    func nearestCodes(format: WeightFormat) {
        let count = 64 * 8
        let values = TestData.floats(count, seed: 41)
        let bytes = quantized(format, values, fast: false)
        var back = [Float](repeating: 0, count: count)
        ReferenceKernels.dequantizeRow(format: format, source: bytes, destination: &back, count: count)
        let group = format == .mxfp4 ? 32 : 16  // values sharing a scale
        for start in stride(from: 0, to: count, by: group) {
            let slice = values[start..<start + group]
            let amax = slice.map(abs).max() ?? 0
            let halfScale =
                format == .mxfp4
                ? ReferenceKernels.e8m0Half(bytes[start / 32 * 17])
                : ReferenceKernels.ue4m3Half(bytes[start / 64 * 36 + start / 16 % 4])
            for j in slice.indices {
                let best = ReferenceKernels.fp4Values.map { abs(Float($0) * halfScale - values[j]) }.min() ?? 0
                #expect(abs(back[j] - values[j]) == best, "\(format) value \(j)")
                // Coarse quality: mxfp4's power-of-two scale leaves at most a quarter of
                // amax; nvfp4's amax / 6 scale about a sixth, plus its 3-bit rounding.
                #expect(abs(back[j] - values[j]) <= amax * (format == .mxfp4 ? 0.2501 : 0.18))
            }
        }
    }

    @Test("Special values: the C quantizer matches the reference byte for byte", arguments: formats)
    func specialValues(format: WeightFormat) {
        var values = TestData.floats(64 * 8, seed: 43)
        values.replaceSubrange(0..<64, with: repeatElement(0, count: 64))  // zeros
        values.replaceSubrange(64..<128, with: repeatElement(-0.0, count: 64))  // negative zeros
        values.replaceSubrange(128..<192, with: repeatElement(0.7, count: 64))  // all equal
        for j in 192..<256 { values[j] *= 3e37 }  // huge (6 · scale overflows nothing)
        for j in 256..<320 { values[j] *= 0x1p-130 }  // f32 subnormals: mxfp4's e wraps as on x86
        values[320] = .infinity
        values[330] = -.infinity
        values[400] = .nan
        values[401] = -.nan
        let reference = quantized(format, values, fast: false)
        #expect(quantized(format, values, fast: true) == reference)
        // Zeros, of either sign, are code 0 in blocks of scale 0 (nvfp4) or e = 0 (mxfp4).
        let zeroBytes = format == .mxfp4 ? 17 * 4 : 36 * 2
        #expect(reference[0..<zeroBytes].allSatisfy { $0 == 0 })
    }

    @Test("A block of equal values decodes to the nearest code: 0.7 in a mxfp4 block is 0.75")
    func equalValues() {
        let bytes = quantized(.mxfp4, [Float](repeating: 0.7, count: 32), fast: false)
        #expect(bytes[0] == 124)  // ⌊log2 0.7⌋ = −1: scale 2^-3, so 0.7 is 5.6 units: code 6 · 0.125
        var back = [Float](repeating: 0, count: 32)
        ReferenceKernels.dequantizeRow(format: .mxfp4, source: bytes, destination: &back, count: 32)
        #expect(back.allSatisfy { $0 == 0.75 })
    }
}
