import TernKernels

/// A ggml tensor type as stored in a GGUF file: its name and block geometry.
///
/// This table covers every type a GGUF file may hold, including ones Tern cannot
/// compute with, so that `tern inspect` can describe any file and the reader can
/// bounds-check every tensor. `format` is set for the types Tern computes with.
public struct GGMLType: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt32
    public let name: String
    public let blockSize: Int
    public let bytesPerBlock: Int

    public var description: String { name }

    /// The computable format for this type, or nil when Tern has no kernels for it.
    public var format: WeightFormat? { WeightFormat(rawValue: id) }

    /// Bytes for `count` values, or nil when `count` is not a whole number of blocks.
    public func bytes(forCount count: Int) -> Int? {
        guard count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    /// The type with ggml id `id`, or nil for an id ggml does not define.
    public init?(id: UInt32) {
        guard let entry = Self.table[id] else { return nil }
        self = entry
    }

    public init(_ format: WeightFormat) {
        self = Self.table[format.rawValue]!  // every WeightFormat is a ggml type
    }

    private init(_ id: UInt32, _ name: String, _ blockSize: Int, _ bytesPerBlock: Int) {
        self.id = id
        self.name = name
        self.blockSize = blockSize
        self.bytesPerBlock = bytesPerBlock
    }

    // ggml.h / ggml-common.h of llama.cpp 0c1e57098: (id, name, values per block, bytes per block).
    private static let table: [UInt32: GGMLType] = {
        let entries = [
            GGMLType(0, "f32", 1, 4), GGMLType(1, "f16", 1, 2),
            GGMLType(2, "q4_0", 32, 18), GGMLType(3, "q4_1", 32, 20),
            GGMLType(6, "q5_0", 32, 22), GGMLType(7, "q5_1", 32, 24),
            GGMLType(8, "q8_0", 32, 34), GGMLType(9, "q8_1", 32, 36),
            GGMLType(10, "q2_K", 256, 84), GGMLType(11, "q3_K", 256, 110),
            GGMLType(12, "q4_K", 256, 144), GGMLType(13, "q5_K", 256, 176),
            GGMLType(14, "q6_K", 256, 210), GGMLType(15, "q8_K", 256, 292),
            GGMLType(16, "iq2_xxs", 256, 66), GGMLType(17, "iq2_xs", 256, 74),
            GGMLType(18, "iq3_xxs", 256, 98), GGMLType(19, "iq1_s", 256, 50),
            GGMLType(20, "iq4_nl", 32, 18), GGMLType(21, "iq3_s", 256, 110),
            GGMLType(22, "iq2_s", 256, 82), GGMLType(23, "iq4_xs", 256, 136),
            GGMLType(24, "i8", 1, 1), GGMLType(25, "i16", 1, 2),
            GGMLType(26, "i32", 1, 4), GGMLType(27, "i64", 1, 8),
            GGMLType(28, "f64", 1, 8), GGMLType(29, "iq1_m", 256, 56),
            GGMLType(30, "bf16", 1, 2),
            GGMLType(34, "tq1_0", 256, 54), GGMLType(35, "tq2_0", 256, 66),
            GGMLType(39, "mxfp4", 32, 17), GGMLType(40, "nvfp4", 64, 36),
            GGMLType(41, "q1_0", 128, 18), GGMLType(42, "q2_0", 64, 18),
            // Tern-only (ids ggml does not use): see WeightFormat.
            GGMLType(0x7400, "t2_64", 64, 18),
        ]
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
    }()
}
