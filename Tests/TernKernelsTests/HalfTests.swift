import Testing
@testable import TernKernels

@Suite("f16 and bf16 conversions")
struct HalfTests {
    #if !(os(macOS) && arch(x86_64))
    @Test("Every f16 bit pattern widens like the platform's Float16")
    func f16WidensExactly() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = Half.f16ToF32(bits)
            if expected.isNaN {
                #expect(got.isNaN, "bits \(bits)")
            } else {
                #expect(got.bitPattern == expected.bitPattern, "bits \(bits)")
            }
        }
    }

    @Test("f32 narrows to f16 like the platform's Float16 (ties to even)")
    func f32NarrowsLikeFloat16() {
        var random = SeededGenerator(seed: 7)
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e-8, 5.96e-8, 2.98e-8, 2.9802322e-8, 6.1e-5, .infinity]
        for _ in 0..<20000 {
            // Random bit patterns cover every exponent, including subnormal f16 results.
            samples.append(Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4800_0000, using: &random)))
        }
        for value in samples + samples.map(-) {
            #expect(Half.f32ToF16(value) == Float16(value).bitPattern, "value \(value)")
        }
    }
    #endif

    @Test("Special values survive f16", arguments: [Float.infinity, -Float.infinity, 0, -0.0, 65504, 0x1p-24, 0x1p-14] as [Float])
    func f16Specials(value: Float) {
        #expect(Half.f16ToF32(Half.f32ToF16(value)).bitPattern == value.bitPattern)
    }

    @Test("NaN stays NaN in both formats")
    func nan() {
        #expect(Half.f16ToF32(Half.f32ToF16(.nan)).isNaN)
        #expect(Half.bf16ToF32(Half.f32ToBF16(.nan)).isNaN)
        #expect(Half.bf16ToF32(Half.f32ToBF16(-.signalingNaN)).isNaN)
    }

    @Test("Overflow and underflow of f16")
    func f16Range() {
        #expect(Half.f32ToF16(70000) == 0x7c00)
        #expect(Half.f32ToF16(-70000) == 0xfc00)
        #expect(Half.f32ToF16(0x1p-26) == 0)  // below half the smallest subnormal
        #expect(Half.f32ToF16(0x1.8p-25) == 1)  // above half: rounds up to 2^-24
        #expect(Half.f16ToF32(0x0001) == 0x1p-24)
        #expect(Half.f16ToF32(0x03ff) == 0x1.ff8p-15)
    }

    @Test("bf16 keeps the top 16 bits, rounding to nearest even")
    func bf16() {
        #expect(Half.f32ToBF16(1) == 0x3f80)
        #expect(Half.bf16ToF32(0x3f80) == 1)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie, even stays
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie, odd rounds up
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3f80_8001)) == 0x3f81)
        #expect(Half.f32ToBF16(.infinity) == 0x7f80)
        #expect(Half.bf16ToF32(0x0001) == Float(bitPattern: 0x0001_0000))  // subnormal
    }

    @Test("C conversions agree with Swift's", arguments: [WeightFormat.f16, .bf16])
    func cMatchesSwift(format: WeightFormat) {
        var random = SeededGenerator(seed: 11)
        var values = (0..<4096).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &random)) }
        values += [0, -0, .infinity, -.infinity, 65520, 0x1p-25, 0x1.8p-25]
        var bits = [UInt16](repeating: 0, count: values.count)
        RowQuantization.quantizeRow(format: format, source: values, destination: &bits, count: values.count)
        var back = [Float](repeating: 0, count: values.count)
        RowQuantization.dequantizeRow(format: format, source: bits, destination: &back, count: values.count)
        for (i, value) in values.enumerated() {
            let swiftBits = format == .f16 ? Half.f32ToF16(value) : Half.f32ToBF16(value)
            let swiftBack = format == .f16 ? Half.f16ToF32(bits[i]) : Half.bf16ToF32(bits[i])
            #expect(bits[i] == swiftBits, "value \(value)")
            #expect(back[i].bitPattern == swiftBack.bitPattern || (back[i].isNaN && swiftBack.isNaN))
        }
    }
}
