import CTernKernels

/// One implementation of the C kernels (portable, avx2, avx512vnni, neon,
/// neon-dotprod), with its entry points unwrapped once.
struct KernelTable: @unchecked Sendable {  // points at immutable static C tables
    typealias RowConversion = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeMutableRawPointer?, Int64) -> Void
    typealias RowExpansion = @convention(c) (Int32, UnsafeRawPointer?, UnsafeMutablePointer<Float>?, Int64) -> Void
    typealias PreparedBytes = @convention(c) (Int32, Int64) -> Int
    typealias Prepare = @convention(c) (Int32, UnsafePointer<Float>?, Int64, UnsafeMutableRawPointer?) -> Void
    typealias MultiplyRows = @convention(c) (
        Int32, UnsafeRawPointer?, Int64, Int64, Int64, Int64, UnsafeRawPointer?, Int64, UnsafeMutablePointer<Float>?
    ) -> Void

    typealias ConvertF16 = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<UInt16>?, Int64) -> Void
    typealias AttendF16 = @convention(c) (
        UnsafePointer<Float>?, UnsafePointer<UInt16>?, UnsafePointer<UInt16>?, Int64, Int64,
        UnsafePointer<Int32>?, Int64, Int64, Int64, Float, UnsafeMutablePointer<Float>?
    ) -> Void

    let table: UnsafePointer<tern_kernels>
    let name: String
    let quantizeRow: RowConversion
    let dequantizeRow: RowExpansion
    let preparedBytes: PreparedBytes
    let prepare: Prepare
    let multiplyRows: MultiplyRows
    let convertF16: ConvertF16
    let attendF16: AttendF16

    /// Every path name the C target knows, fastest last.
    static let allNames = ["portable", "neon", "neon-dotprod", "avx2", "avx512vnni"]

    /// The path this process uses: the fastest the CPU runs, unless the
    /// TERN_KERNELS environment variable names another.
    static let best: KernelTable = {
        guard let table = KernelTable(tern_kernels_best()) else {
            preconditionFailure("CTernKernels returned an incomplete kernel table")
        }
        return table
    }()

    /// Every path this CPU can run.
    static var available: [KernelTable] { allNames.compactMap(named) }

    /// The path called `name`, or nil when not built in or not runnable here.
    static func named(_ name: String) -> KernelTable? {
        KernelTable(tern_kernels_named(name))
    }

    private init?(_ table: UnsafePointer<tern_kernels>?) {
        guard let table, case let t = table.pointee, let name = t.name, let quantizeRow = t.quantize_row,
            let dequantizeRow = t.dequantize_row, let preparedBytes = t.prepared_bytes, let prepare = t.prepare,
            let multiplyRows = t.multiply_rows, let convertF16 = t.convert_f16, let attendF16 = t.attend_f16
        else { return nil }
        self.table = table
        self.name = String(cString: name)
        self.quantizeRow = quantizeRow
        self.dequantizeRow = dequantizeRow
        self.preparedBytes = preparedBytes
        self.prepare = prepare
        self.multiplyRows = multiplyRows
        self.convertF16 = convertF16
        self.attendF16 = attendF16
    }
}

/// Which kernel implementation this process runs.
public enum KernelPath {
    /// The path in use: "avx512vnni", "avx2", "neon-dotprod", "neon" or "portable".
    /// Chosen once from the CPU's features; the TERN_KERNELS environment
    /// variable can force a slower one for comparisons.
    public static var active: String { KernelTable.best.name }

    /// Every path this CPU can run.
    public static var available: [String] { KernelTable.available.map(\.name) }
}
