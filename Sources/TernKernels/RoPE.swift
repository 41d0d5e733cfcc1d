import Foundation

/// Rotary position embedding, llama.cpp's "normal" variant: adjacent pairs
/// `(x[2i], x[2i+1])` of the first `dimensions` values of each head rotate by
/// `position · base^(-2i/dimensions)`.
public struct RoPE: Sendable {
    public let dimensions: Int
    public let base: Float
    /// `base^(-2i/dimensions)` for each pair i.
    private let frequencies: [Float]

    public init(dimensions: Int, base: Float) {
        self.dimensions = dimensions
        self.base = base
        frequencies = (0..<dimensions / 2).map { i in
            Float(pow(Double(base), -2.0 * Double(i) / Double(dimensions)))
        }
    }

    /// Fills `table` (dimensions values: cos, sin interleaved per pair) for `position`.
    public func fillTable(position: Int, table: UnsafeMutablePointer<Float>) {
        for i in 0..<dimensions / 2 {
            let theta = Float(position) * frequencies[i]
            table[2 * i] = cos(theta)
            table[2 * i + 1] = sin(theta)
        }
    }

    /// Rotates `heads` heads of `headDimension` values in place using a table from `fillTable`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, table: UnsafePointer<Float>) {
        for h in 0..<heads {
            let v = x + h * headDimension
            for i in 0..<dimensions / 2 {
                let c = table[2 * i], s = table[2 * i + 1]
                let x0 = v[2 * i], x1 = v[2 * i + 1]
                v[2 * i] = x0 * c - x1 * s
                v[2 * i + 1] = x0 * s + x1 * c
            }
        }
    }
}
