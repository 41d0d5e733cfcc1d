import Testing
@testable import TernKernels

@Suite("Row quantization")
struct QuantizationTests {
    static let quantized: [WeightFormat] = [.q4_0, .q4_1, .q8_0, .q8_1]

    /// Dequantizes with the reference and with the fast path; expects them equal.
    private func dequantizeBoth(_ format: WeightFormat, _ bytes: [UInt8], count: Int) -> [Float] {
        var reference = [Float](repeating: .nan, count: count)
        var fast = [Float](repeating: .nan, count: count)
        ReferenceKernels.dequantizeRow(format: format, source: bytes, destination: &reference, count: count)
        RowQuantization.dequantizeRow(format: format, source: bytes, destination: &fast, count: count)
        #expect(reference.map(\.bitPattern) == fast.map(\.bitPattern), "fast \(format) dequantization differs")
        return reference
    }

    @Test("A hand-built q4_0 block: element j < 16 is byte j's low nibble, j + 16 its high one, (q - 8) · d")
    func knownQ4_0Block() {
        let d = Half.f32ToF16(0.5)
        var block: [UInt8] = [UInt8(d & 0xff), UInt8(d >> 8)]
        block += (0..<16).map { j in UInt8(j) | UInt8(15 - j) << 4 }
        let values = dequantizeBoth(.q4_0, block, count: 32)
        let low: [Float] = (0..<16).map { Float($0 - 8) * 0.5 }
        let high: [Float] = (0..<16).map { Float(7 - $0) * 0.5 }
        let expected = low + high
        #expect(values == expected)
    }

    @Test("A hand-built q4_1 block: q · d + m")
    func knownQ4_1Block() {
        let d = Half.f32ToF16(0.25), m = Half.f32ToF16(-1.5)
        var block: [UInt8] = [UInt8(d & 0xff), UInt8(d >> 8), UInt8(m & 0xff), UInt8(m >> 8)]
        block += (0..<16).map { j in UInt8(j) | UInt8(15 - j) << 4 }
        let values = dequantizeBoth(.q4_1, block, count: 32)
        let low: [Float] = (0..<16).map { Float($0) * 0.25 - 1.5 }
        let high: [Float] = (0..<16).map { Float(15 - $0) * 0.25 - 1.5 }
        let expected = low + high
        #expect(values == expected)
    }

    @Test("A hand-built q8_0 block: int8 · d")
    func knownQ8_0Block() {
        let d = Half.f32ToF16(0.125)
        var block: [UInt8] = [UInt8(d & 0xff), UInt8(d >> 8)]
        let qs: [Int8] = (0..<32).map { Int8($0 * 8 - 128) }
        block += qs.map { UInt8(bitPattern: $0) }
        let values = dequantizeBoth(.q8_0, block, count: 32)
        #expect(values == qs.map { Float($0) * 0.125 })
    }

    @Test("Quantizing then dequantizing stays within half a step", arguments: quantized)
    func roundTrip(format: WeightFormat) throws {
        let count = 32 * 16
        let values = TestData.floats(count, seed: 3)
        var bytes = [UInt8](repeating: 0, count: try #require(format.rowBytes(count)))
        ReferenceKernels.quantizeRow(format: format, source: values, destination: &bytes, count: count)
        let back = dequantizeBoth(format, bytes, count: count)
        for block in 0..<count / 32 {
            let slice = values[block * 32..<block * 32 + 32]
            let amax = slice.map(abs).max() ?? 0
            let (lo, hi) = (slice.min() ?? 0, slice.max() ?? 0)
            // Half a quantization step, plus f16 rounding of the scales; q4_0's
            // step is amax / 8 and its positive end clips one full step.
            let bound: Float =
                switch format {
                case .q4_0: amax / 8 * 1.01
                case .q4_1: (hi - lo) / 15 * 0.51 + abs(lo) * 1e-3
                default: amax / 127 * 0.51 + amax * 1e-3
                }
            for j in block * 32..<block * 32 + 32 {
                #expect(abs(back[j] - values[j]) <= bound, "\(format) value \(j): \(values[j]) became \(back[j])")
            }
        }
    }

    @Test("The fast quantizer writes the reference's bytes", arguments: WeightFormat.allCases)
    func fastQuantizeMatchesReference(format: WeightFormat) throws {
        let count = 32 * 24  // whole blocks of every format (ternary ones hold 64 or 256)
        var values = TestData.floats(count, seed: 5)
        values[40] = 0.5 / 127 * 3  // values on exact rounding ties
        values[64..<96] = ArraySlice(repeating: 0, count: 32)  // an all-zero block
        let bytes = try #require(format.rowBytes(count))
        var reference = [UInt8](repeating: 0, count: bytes)
        var fast = [UInt8](repeating: 1, count: bytes)
        ReferenceKernels.quantizeRow(format: format, source: values, destination: &reference, count: count)
        RowQuantization.quantizeRow(format: format, source: values, destination: &fast, count: count)
        #expect(reference == fast)
    }

    @Test("Fast dequantization of arbitrary bytes matches the reference", arguments: WeightFormat.allCases)
    func arbitraryBytes(format: WeightFormat) throws {
        let count = 32 * 8
        var random = SeededGenerator(seed: 13)
        let bytes = (0..<(try #require(format.rowBytes(count)))).map { _ in UInt8.random(in: 0...255, using: &random) }
        var reference = [Float](repeating: 0, count: count)
        var fast = [Float](repeating: 1, count: count)
        ReferenceKernels.dequantizeRow(format: format, source: bytes, destination: &reference, count: count)
        RowQuantization.dequantizeRow(format: format, source: bytes, destination: &fast, count: count)
        for i in 0..<count {
            #expect(reference[i].bitPattern == fast[i].bitPattern || (reference[i].isNaN && fast[i].isNaN))
        }
    }

    @Test("Every kernel path prepares activations bit-identically", arguments: [WeightFormat.q4_0, .q4_1, .q8_0])
    func preparedActivationsAgree(format: WeightFormat) {
        let columns = 32 * 9
        var values = TestData.floats(columns, seed: 9, scale: 3)
        // Exact ties for round(): with amax = 127 in a block, x / d is x itself.
        values[0] = 127
        values[1] = 2.5
        values[2] = -3.5
        values[3] = 0.5
        let reference = KernelTable.named("portable")!
        let bytes = reference.preparedBytes(Int32(format.rawValue), Int64(columns))
        var expected = [UInt8](repeating: 0, count: bytes)
        reference.prepare(Int32(format.rawValue), values, Int64(columns), &expected)
        for path in KernelTable.available {
            var got = [UInt8](repeating: 0xff, count: bytes)
            path.prepare(Int32(format.rawValue), values, Int64(columns), &got)
            #expect(got == expected, "\(path.name) prepares \(format) activations differently")
        }
    }
}
