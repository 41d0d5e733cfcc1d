import CTernKernels
import Foundation

/// The SwiGLU gate: `gate[i] = silu(gate[i]) * up[i]`, with `silu(x) = x / (1 + e^-x)`.
public enum SwiGLU {
    /// The gate on the fastest loop this CPU runs: eight lanes at a time with an e^x
    /// within a few ulps of `expf` (as llama.cpp's vectorized silu), scalar elsewhere.
    public static func apply(
        gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int, kernels: Kernels = .best
    ) {
        tern_swiglu(kernels.table.table, gate, up, Int64(count))
    }

    /// The scalar definition with the C library's `expf`: what tests compare `apply` with.
    public static func reference(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }
}
