import CTernKernels
import Foundation

/// The SwiGLU gate: `gate[i] = silu(gate[i]) * up[i]`, with `silu(x) = x / (1 + e^-x)`.
public enum SwiGLU {
    /// The gate on the fastest loop this CPU runs. On AVX2 it takes eight lanes at a time with
    /// llama.cpp's vectorized e^x (same operations, same bits; within 2 ulps of `expf`) and the
    /// scalar definition for the last `count % 8`, so it gives llama.cpp's values for a row
    /// passed whole; elsewhere it is the scalar definition.
    /// - Parameters:
    ///   - gate: `count` floats, overwritten with `silu(gate) * up`.
    ///   - up: `count` floats.
    ///   - kernels: the kernel path (tests pass each one).
    public static func apply(
        gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int, kernels: Kernels = .best
    ) {
        tern_swiglu(kernels.table.table, gate, up, Int64(count))
    }

    /// The scalar definition's values (`reference`), fast: glibc's `expf` algorithm (double
    /// precision, a 32-entry table of 2^(i/32)) done four lanes at a time on AVX2, the same
    /// algorithm in scalar C elsewhere. On glibc x86-64 every output has the bits of
    /// `reference` (checked over all 2^32 floats), at about a third of its time: the form
    /// the model runs.
    /// - Parameters:
    ///   - gate: `count` floats, overwritten with `silu(gate) * up`.
    ///   - up: `count` floats.
    ///   - kernels: the kernel path (tests pass each one).
    public static func libm(
        gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int, kernels: Kernels = .best
    ) {
        tern_swiglu_libm(kernels.table.table, gate, up, Int64(count))
    }

    /// The scalar definition with the C library's `expf`: what tests compare `apply` with.
    public static func reference(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }
}
