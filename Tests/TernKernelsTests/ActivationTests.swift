import Foundation
import Testing
@testable import TernKernels

@Suite("SwiGLU")
struct ActivationTests {
    /// (x, silu(x)) as llama.cpp's AVX2 `ggml_v_silu` computes them, as bit patterns: from
    /// the far negative side (where e^-x overflows) through typical values to large x.
    static let llamaCppSilu: [(UInt32, UInt32)] = [
        (0xc2d1_0000, 0x8000_0000),  // -104.5 -> -0
        (0xc2be_0000, 0x8000_0000),  // -95 -> -0
        (0xc2b1_0000, 0x82dd_2ec3),  // -88.5 -> -3.24998714e-37 (expf's: ...691e-37)
        (0xc2b0_0000, 0x8335_4ddc),  // -88 -> -5.32804976e-37
        (0xc2ae_0000, 0x83f3_9e20),  // -87 -> -1.43185601e-36 (expf's: ...592e-36)
        (0xc1f2_0000, 0xac1b_2166),  // -30.25 -> -2.20453647e-12
        (0xc11c_0000, 0xba14_fca4),  // -9.75 -> -0.000568339834
        (0xc053_3333, 0xbdf0_6783),  // -3.3 -> -0.117384933 (expf's: ...925)
        (0xbf80_0000, 0xbe89_b2b0),  // -1 -> -0.268941402 (expf's: ...432)
        (0xbebd_70a4, 0xbe1a_c9bc),  // -0.37 -> -0.151160181
        (0xba83_126f, 0xba03_01a8),  // -0.001 -> -0.000499750022
        (0x0000_0000, 0x0000_0000),  // 0 -> 0
        (0x3a83_126f, 0x3a03_2336),  // 0.001 -> 0.000500250026
        (0x3f00_0000, 0x3e9f_597f),  // 0.5 -> 0.311229676
        (0x3f33_3333, 0x3eef_7a7e),  // 0.7 -> 0.467731416
        (0x3fa0_0000, 0x3f78_bc68),  // 1.25 -> 0.971624851
        (0x4039_999a, 0x402f_eb99),  // 2.9 -> 2.74875474
        (0x40b0_0000, 0x40af_489e),  // 5.5 -> 5.4776144
        (0x4130_0000, 0x412f_ff40),  // 11 -> 10.9998169
        (0x418a_6666, 0x418a_6666),  // 17.3 -> 17.2999992
        (0x4220_0000, 0x4220_0000),  // 40 -> 40
        (0x42b0_0000, 0x42b0_0000),  // 88 -> 88
        (0x42b4_0000, 0x42b4_0000),  // 90 -> 90
        (0x42d0_0000, 0x42d0_0000),  // 104 -> 104
    ]

    /// The paths that run the AVX2 SwiGLU loop (AVX-512 tables share it).
    static let x86VectorPaths = KernelPath.available.filter { $0 == "avx2" || $0 == "avx512vnni" }

    /// Distance in representable floats (ulps) between two finite floats.
    static func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ f: Float) -> Int {
            let bits = Int(Int32(bitPattern: f.bitPattern))
            return bits < 0 ? Int(Int32.min) - bits : bits
        }
        return abs(ordered(a) - ordered(b))
    }

    /// An input to SwiGLU and how close every path must come to the scalar (expf) definition.
    struct UlpBound: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let gate: [Float]
        let up: [Float]
        /// Most ulps any output may be from the definition's.
        let maxUlps: Int
        /// Below this gate value the output need only be within 1e-30 of the definition.
        let ulpsFrom: Float
    }

    static let ulpBounds: [UlpBound] = [
        // A fine ramp over [-120, 120): past where e^-x overflows (x < -88.7) and where silu(x) = x.
        // |silu(x)| < 1e-35 below -87: e^-x overflows at different x in each exp, and the
        // results are (sub)normal crumbs that quantize to 0 downstream.
        UlpBound(
            testDescription: "silu within 4 ulps from x = -87 up, within 1e-30 below",
            gate: (0..<48_000).map { Float($0 - 24_000) * 0.005 }, up: [Float](repeating: 1, count: 48_000),
            maxUlps: 4, ulpsFrom: -87),
        UlpBound(
            testDescription: "the gate times up within 6 ulps on typical values",
            gate: TestData.floats(1003, seed: 21, scale: 6), up: TestData.floats(1003, seed: 22, scale: 3),
            maxUlps: 6, ulpsFrom: -.infinity),
    ]

    @Test("SwiGLU is within its bound of the expf definition", arguments: ulpBounds, KernelPath.available)
    func withinUlpBound(_ bound: UlpBound, path: String) throws {
        let kernels = try #require(Kernels.named(path))
        var gate = bound.gate
        var expected = bound.gate
        SwiGLU.reference(gate: &expected, up: bound.up, count: expected.count)
        SwiGLU.apply(gate: &gate, up: bound.up, count: gate.count, kernels: kernels)
        var worst = (ulps: 0, index: 0)
        for (i, x) in bound.gate.enumerated() {
            if x >= bound.ulpsFrom {
                let ulps = Self.ulps(gate[i], expected[i])
                if ulps > worst.ulps { worst = (ulps, i) }
            } else {
                #expect(abs(gate[i] - expected[i]) <= 1e-30, "\(path) x = \(x): \(gate[i]) vs \(expected[i])")
            }
        }
        let i = worst.index
        #expect(worst.ulps <= bound.maxUlps,
                "\(path): \(worst.ulps) ulps at x = \(bound.gate[i]), up = \(bound.up[i]): \(gate[i]) vs \(expected[i])")
    }

    @Test("the libm form has the bits of the expf definition on every path, special values included",
          arguments: KernelPath.available)
    func libmMatchesDefinition(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        // A stride through every float (both signs, subnormals, infinities, NaNs), a dense ramp
        // over [-120, 120), and a count that leaves a scalar tail.
        var gate = stride(from: UInt32(0), to: UInt32.max - 40_000, by: 40_009).map { Float(bitPattern: $0 &* 2_654_435_761) }
        gate += (0..<48_003).map { Float($0) / 200 - 120 }
        let up = TestData.floats(gate.count, seed: 25, scale: 4)
        var expected = gate
        SwiGLU.reference(gate: &expected, up: up, count: expected.count)
        let inputs = gate
        SwiGLU.libm(gate: &gate, up: up, count: gate.count, kernels: kernels)
        var differing = 0
        for i in gate.indices where gate[i].bitPattern != expected[i].bitPattern && !(gate[i].isNaN && expected[i].isNaN) {
            if differing < 3 { Issue.record("\(path) x = \(inputs[i]), up = \(up[i]): \(gate[i]) vs \(expected[i])") }
            differing += 1
        }
        #expect(differing == 0, "\(path): \(differing) of \(gate.count) differ")
    }

    @Test("on AVX2 silu equals llama.cpp's vectorized silu bit for bit",
          arguments: ActivationTests.x86VectorPaths)
    func matchesLlamaCpp(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        var gate = Self.llamaCppSilu.map { Float(bitPattern: $0.0) }
        let up = [Float](repeating: 1, count: gate.count)
        #expect(gate.count % 8 == 0)  // all on the vector loop, none on the scalar tail
        SwiGLU.apply(gate: &gate, up: up, count: gate.count, kernels: kernels)
        for (i, (x, silu)) in Self.llamaCppSilu.enumerated() {
            #expect(gate[i].bitPattern == silu, "\(path) silu(\(Float(bitPattern: x))) = \(gate[i]), llama.cpp's \(Float(bitPattern: silu))")
        }
    }

    @Test("a row gives the same bits whole or in pieces that start at multiples of 8", arguments: KernelPath.available)
    func piecesMatchWholeRow(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        let original = TestData.floats(1003, seed: 23, scale: 8)
        let up = TestData.floats(original.count, seed: 24, scale: 2)
        var whole = original
        SwiGLU.apply(gate: &whole, up: up, count: whole.count, kernels: kernels)
        var pieces = original
        pieces.withUnsafeMutableBufferPointer { gate in
            up.withUnsafeBufferPointer { up in
                for start in stride(from: 0, to: gate.count, by: 200) {  // 200 = 25 x 8; the last piece has a tail
                    let count = min(200, gate.count - start)
                    SwiGLU.apply(gate: gate.baseAddress! + start, up: up.baseAddress! + start, count: count, kernels: kernels)
                }
            }
        }
        #expect(pieces.map(\.bitPattern) == whole.map(\.bitPattern))
        // The tail (1003 % 8 = 3 values) is the scalar definition exactly.
        var expected = original
        SwiGLU.reference(gate: &expected, up: up, count: expected.count)
        #expect(whole.suffix(3).map(\.bitPattern) == expected.suffix(3).map(\.bitPattern))
    }
}
