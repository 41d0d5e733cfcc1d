@testable import TernKernels

/// SplitMix64: a seeded generator so every test run sees the same data.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

enum TestData {
    /// `count` floats, roughly the spread of LLM weights and activations, with
    /// a few larger outliers per block so scales vary.
    static func floats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let value = Float.random(in: -1...1, using: &random) * scale
            return i % 11 == 3 ? value * 4 : value
        }
    }

    /// `rows × columns` random weights packed in `format` by the reference quantizer.
    static func packedWeights(format: WeightFormat, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
        let values = floats(rows * columns, seed: seed, scale: 0.1)
        var bytes = [UInt8](repeating: 0, count: rows * (format.rowBytes(columns) ?? 0))
        values.withUnsafeBufferPointer { x in
            bytes.withUnsafeMutableBytes { y in
                ReferenceKernels.quantizeRow(
                    format: format, source: x.baseAddress!, destination: y.baseAddress!, count: rows * columns)
            }
        }
        return bytes
    }
}
