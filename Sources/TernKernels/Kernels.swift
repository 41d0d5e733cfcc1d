/// A choice of kernel implementation for the functions that take one; `.best`
/// is the fastest this CPU runs, `.named("portable")` forces another (tests).
public struct Kernels: Sendable {
    let table: KernelTable

    public static var best: Kernels { Kernels(table: .best) }

    public static func named(_ name: String) -> Kernels? { KernelTable.named(name).map(Kernels.init) }

    public var name: String { table.name }
}
