import Foundation
import Testing
@testable import TernKernels

@Suite("SwiGLU")
struct SwiGLUTests {
    @Test("every kernel path is within a few ulps of the expf definition", arguments: KernelPath.available)
    func matchesReference(path: String) throws {
        let kernels = try #require(Kernels.named(path))
        // Ramps through the whole useful range (and past where e^-x overflows), then typical values.
        var gate = (0..<400).map { Float($0 - 200) * 0.5 } + TestData.floats(1003, seed: 21, scale: 6)
        let up = TestData.floats(gate.count, seed: 22, scale: 3)
        var expected = gate
        SwiGLU.reference(gate: &expected, up: up, count: expected.count)
        SwiGLU.apply(gate: &gate, up: up, count: gate.count, kernels: kernels)
        for i in gate.indices {
            // Below x ≈ -88 e^-x overflows and the kernel returns 0 where the definition gives
            // |x e^x up| < 1e-30: zero for every consumer (the next product quantizes by amax).
            let tolerance = 8 * expected[i].ulp + 1e-30
            #expect(abs(gate[i] - expected[i]) <= tolerance, "\(path) element \(i): \(gate[i]) vs \(expected[i])")
        }
    }
}
