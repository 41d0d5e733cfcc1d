import Testing
@testable import TernKernels

@Suite("Ternary formats: quantization")
struct TernaryQuantizationTests {
    static let formats: [WeightFormat] = [.tq1_0, .tq2_0, .t2_64]

    /// values[i] = ((37 i) mod 11 − 5) / 10: a fixed pattern with rounding ties at ±0.25.
    static let pattern: [Float] = (0..<256).map { Float(($0 * 37) % 11 - 5) * 0.1 }

    /// Bytes llama.cpp's quantize_row_tq2_0_ref / tq1_0_ref write for `pattern`.
    static let ggmlTQ2_0: [UInt8] = [
        148, 81, 70, 24, 97, 134, 24, 97, 134, 25, 101, 148, 81, 70, 24, 97, 134, 24, 97, 134, 25, 101, 148, 81,
        70, 24, 97, 134, 24, 97, 134, 25, 97, 134, 25, 101, 148, 81, 70, 24, 97, 134, 24, 97, 134, 25, 101, 148,
        81, 70, 24, 97, 134, 24, 97, 134, 25, 101, 148, 81, 70, 24, 97, 134, 0, 56,
    ]
    static let ggmlTQ1_0: [UInt8] = [
        46, 101, 204, 68, 108, 207, 69, 108, 207, 154, 136, 46, 101, 204, 68, 108, 207, 69, 108, 207, 154, 136, 46,
        101, 204, 68, 108, 207, 69, 108, 207, 154, 24, 116, 241, 112, 126, 71, 93, 209, 81, 123, 212, 24, 116, 241,
        112, 126, 146, 95, 51, 159, 0, 56,
    ]

    private func quantize(_ format: WeightFormat, _ values: [Float], path: KernelTable? = nil) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xee, count: format.rowBytes(values.count) ?? 0)
        if let path {
            path.quantizeRow(Int32(format.rawValue), values, &bytes, Int64(values.count))
        } else {
            ReferenceKernels.quantizeRow(format: format, source: values, destination: &bytes, count: values.count)
        }
        return bytes
    }

    /// Dequantizes with the reference and with every path; expects them bit-identical.
    private func dequantize(_ format: WeightFormat, _ bytes: [UInt8], count: Int) -> [Float] {
        var reference = [Float](repeating: .nan, count: count)
        ReferenceKernels.dequantizeRow(format: format, source: bytes, destination: &reference, count: count)
        for path in KernelTable.available {
            var fast = [Float](repeating: 1, count: count)
            path.dequantizeRow(Int32(format.rawValue), bytes, &fast, Int64(count))
            #expect(
                zip(reference, fast).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) },
                "\(path.name) dequantizes \(format) differently")
        }
        return reference
    }

    @Test("tq2_0 and tq1_0 bytes equal llama.cpp's for a known row")
    func ggmlKnownAnswers() {
        #expect(quantize(.tq2_0, Self.pattern) == Self.ggmlTQ2_0)
        #expect(quantize(.tq1_0, Self.pattern) == Self.ggmlTQ1_0)
        // d = amax = 0.5, and every value rounds to a code: |x| >= 0.25 becomes ±0.5.
        let expected = Self.pattern.map { abs($0) >= 0.25 ? ($0 > 0 ? Float(0.5) : -0.5) : 0 }
        #expect(dequantize(.tq2_0, Self.ggmlTQ2_0, count: 256) == expected)
        #expect(dequantize(.tq1_0, Self.ggmlTQ1_0, count: 256) == expected)
    }

    @Test("A hand-built t2_64 block: bits 2n of byte j are the code of value j + 16n, (code − 1) · d")
    func knownT2Block() {
        let d = Half.f32ToF16(0.75)
        let code = { (v: Int) in (v * 7 + v / 5) % 3 }
        var block: [UInt8] = [UInt8(d & 0xff), UInt8(d >> 8)]
        block += (0..<16).map { j in UInt8(code(j) | code(j + 16) << 2 | code(j + 32) << 4 | code(j + 48) << 6) }
        let values = dequantize(.t2_64, block, count: 64)
        #expect(values == (0..<64).map { Float(code($0) - 1) * 0.75 })
    }

    @Test("Every path writes the reference's bytes", arguments: formats)
    func pathsQuantizeAlike(format: WeightFormat) {
        var values = TestData.floats(768, seed: 41)
        values[0..<64] = ArraySlice(repeating: 0, count: 64)  // an all-zero t2_64 block
        values[300] = 7  // an outlier that zeroes most of its tq block
        let reference = quantize(format, values)
        for path in KernelTable.available {
            #expect(quantize(format, values, path: path) == reference, "\(path.name) quantizes \(format) differently")
        }
    }

    @Test("Dequantizing arbitrary bytes agrees on every path", arguments: formats)
    func arbitraryBytes(format: WeightFormat) throws {
        var random = SeededGenerator(seed: 43)
        let bytes = (0..<(try #require(format.rowBytes(512)))).map { _ in UInt8.random(in: 0...255, using: &random) }
        _ = dequantize(format, bytes, count: 512)
    }

    @Test("Ternary weights (±a, 0) come back exactly", arguments: formats)
    func ternaryRoundTrip(format: WeightFormat) {
        var random = SeededGenerator(seed: 47)
        let a: Float = 0.375  // exact in f16
        let values = (0..<512).map { _ in [-a, 0, 0, a][Int.random(in: 0..<4, using: &random)] }
        #expect(dequantize(format, quantize(format, values), count: 512) == values)
    }

    @Test("t2_64 codes follow BitNet b1.58's absmean rule; d is the mean magnitude of the ±1 values")
    func absmeanRule() {
        let values = TestData.floats(64 * 4, seed: 53)
        let bytes = quantize(.t2_64, values)
        let back = dequantize(.t2_64, bytes, count: values.count)
        for block in 0..<4 {
            let x = values[block * 64..<block * 64 + 64]
            let gamma = x.reduce(Float(0)) { $0 + abs($1) } / 64
            let codes = x.map { Swift.max(-1, Swift.min(1, ($0 / gamma).rounded())) }
            let kept = zip(x, codes).filter { $0.1 != 0 }.map { abs($0.0) }
            let d = Half.f16ToF32(Half.f32ToF16(kept.reduce(0, +) / Float(kept.count)))
            for (j, code) in codes.enumerated() {
                #expect(back[block * 64 + j] == code * d, "block \(block) value \(j)")
            }
        }
    }

    @Test("An all-zero row stays zero; a single nonzero value survives exactly", arguments: formats)
    func edgeCases(format: WeightFormat) {
        let n = format.blockSize
        let zeros = [Float](repeating: 0, count: n)
        let bytes = quantize(format, zeros)
        #expect(dequantize(format, bytes, count: n) == zeros)
        bytes.withUnsafeBytes { block in
            #expect(ReferenceKernels.ternaryCodes(format: format, block.baseAddress!) == Array(repeating: 1, count: n))
            #expect(ReferenceKernels.half(block.baseAddress!, ReferenceKernels.ternaryScaleOffset(format)) == 0)
        }
        var single = zeros
        single[n / 3] = -2.5
        #expect(dequantize(format, quantize(format, single), count: n) == single)
    }

    @Test("Every path prepares ternary activations bit-identically", arguments: formats)
    func preparedActivations(format: WeightFormat) {
        let columns = 512
        var values = TestData.floats(columns, seed: 59, scale: 3)
        values[0] = 127  // amax 127 in the first group: x · 127 / amax is x, so these are exact ties
        values[1] = 2.5
        values[2] = -3.5
        let portable = KernelTable.named("portable")!
        let bytes = portable.preparedBytes(Int32(format.rawValue), Int64(columns))
        #expect(bytes == columns / 32 * 40)
        var expected = [UInt8](repeating: 0, count: bytes)
        portable.prepare(Int32(format.rawValue), values, Int64(columns), &expected)
        for path in KernelTable.available {
            var got = [UInt8](repeating: 0xff, count: bytes)
            path.prepare(Int32(format.rawValue), values, Int64(columns), &got)
            #expect(got == expected, "\(path.name) prepares \(format) activations differently")
        }
    }
}
