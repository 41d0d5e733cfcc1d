/// Every weight format Tern stores or computes on, with ggml's type ids.
///
/// A format packs `blockSize` consecutive values of a row into `bytesPerBlock`
/// bytes. The layouts are ggml's exactly, so GGUF files move between Tern and
/// llama.cpp unchanged, except for Tern's own formats (ids from 0x7400 up, which
/// ggml does not use): files holding those load in Tern only. Rows must hold a
/// whole number of blocks.
public enum WeightFormat: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2  // 4.5 bits/weight: f16 scale + 32 × 4-bit
    case q4_1 = 3  // 5.0 bits/weight: f16 scale, f16 min + 32 × 4-bit
    case q8_0 = 8  // 8.5 bits/weight: f16 scale + 32 × int8
    case q8_1 = 9  // 9.0 bits/weight: f16 scale, f16 scale×sum + 32 × int8 (activations)
    case bf16 = 30
    case mxfp4 = 39  // 4.25 bits/weight: E8M0 scale + 32 × 4-bit E2M1
    case nvfp4 = 40  // 4.5 bits/weight: 4 UE4M3 scales (one per 16) + 64 × 4-bit E2M1
    case tq1_0 = 34  // 1.6875 bits/weight: 256 ternary values as base-3 digits + f16 scale
    case tq2_0 = 35  // 2.0625 bits/weight: 256 × 2-bit ternary codes + f16 scale
    /// Tern-only ternary format for rows that are multiples of 64, not 256: 2.25
    /// bits/weight, f16 scale + 64 × 2-bit codes (ReferenceKernels+Ternary.swift).
    case t2_64 = 0x7400
    /// t2_64 repacked in memory for the lookup-table kernels (rows interleaved in
    /// groups of 32, same bytes; `TernaryRepacking`). Never in files, not row-addressable,
    /// and not in `allCases`: only `TernaryRepacking.repack` produces it.
    case t2_64r = 0x7480
    /// q4_0 / q4_1 repacked in memory for the x86 kernels (rows interleaved in groups
    /// of eight, same bytes; `Q4Repacking`). Never in files, not row-addressable, and
    /// not in `allCases`: only `Q4Repacking.repack` produces them.
    case q4_0r = 0x7482
    case q4_1r = 0x7483

    /// Every format a file may hold or a row may be quantized to (the repacked
    /// `t2_64r`, `q4_0r` and `q4_1r` are neither).
    public static let allCases: [WeightFormat] = [
        .f32, .f16, .q4_0, .q4_1, .q8_0, .q8_1, .bf16, .mxfp4, .nvfp4, .tq1_0, .tq2_0, .t2_64,
    ]

    /// Number of values in one block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q8_0, .q8_1, .q4_0r, .q4_1r: 32
        case .mxfp4: 32
        case .nvfp4: 64
        case .tq1_0, .tq2_0: 256
        case .t2_64, .t2_64r: 64
        }
    }

    /// Bytes one block occupies.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0, .q4_0r: 18
        case .q4_1, .q4_1r: 20
        case .q8_0: 34
        case .q8_1: 36
        case .mxfp4: 17
        case .nvfp4: 36
        case .tq1_0: 54
        case .tq2_0: 66
        case .t2_64, .t2_64r: 18
        }
    }

    /// ggml's lowercase name (`q4_1`), also what the CLI accepts.
    public var name: String {
        switch self {
        case .f32: "f32"
        case .f16: "f16"
        case .bf16: "bf16"
        case .q4_0: "q4_0"
        case .q4_1: "q4_1"
        case .q8_0: "q8_0"
        case .q8_1: "q8_1"
        case .mxfp4: "mxfp4"
        case .nvfp4: "nvfp4"
        case .tq1_0: "tq1_0"
        case .tq2_0: "tq2_0"
        case .t2_64: "t2_64"
        case .t2_64r: "t2_64r"
        case .q4_0r: "q4_0r"
        case .q4_1r: "q4_1r"
        }
    }

    public var description: String { name }

    /// Whether values are ternary codes (−1, 0, +1) times a block scale.
    /// Whether rows are interleaved in groups for the kernels (made at load, never in
    /// files): such a matrix is not row-addressable, see `Q4Repacking` and `TernaryRepacking`.
    public var isRepacked: Bool { self == .t2_64r || self == .q4_0r || self == .q4_1r }

    public var isTernary: Bool { self == .tq1_0 || self == .tq2_0 || self == .t2_64 || self == .t2_64r }

    /// Bits per weight, as a figure for tables.
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// Bytes of a row of `count` values, or nil when `count` is not a whole number of blocks.
    public func rowBytes(_ count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        return count / blockSize * bytesPerBlock
    }

    /// The format from its name, case-insensitive.
    public init?(name: String) {
        guard let format = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = format
    }
}
