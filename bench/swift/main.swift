// Release-mode benchmark of the public TernKernels API (MatMul.multiply on a
// ThreadPool). Run with bench/matmul-swift.sh; not part of the package.
import Foundation
import TernKernels

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Best-of-trials seconds per call of `body` (the machine is shared; the
/// minimum is the closest to an undisturbed run).
func best(seconds budget: Double = 1.0, _ body: () -> Void) -> Double {
    body()
    var fastest = Double.infinity
    let start = now()
    while now() - start < budget {
        let t0 = now()
        body()
        fastest = min(fastest, now() - t0)
    }
    return fastest
}

func bench(format: WeightFormat, rows: Int, columns: Int, batch: Int, copies: Int, pool: ThreadPool) {
    let rowBytes = format.rowBytes(columns)!
    let matrixBytes = rows * rowBytes
    let weights = UnsafeMutableRawPointer.allocate(byteCount: matrixBytes * copies, alignment: 64)
    defer { weights.deallocate() }
    var row = [Float](repeating: 0, count: columns)
    for r in 0..<rows {
        for c in 0..<columns { row[c] = Float((r &* 31 &+ c &* 17) % 2001) / 1000 - 1 }
        RowQuantization.quantizeRow(format: format, source: row, destination: weights + r * rowBytes, count: columns)
    }
    for c in 1..<max(copies, 1) { (weights + c * matrixBytes).copyMemory(from: weights, byteCount: matrixBytes) }
    let input = (0..<columns * batch).map { Float(($0 &* 7919) % 1000) / 1000 - 0.5 }
    var output = [Float](repeating: 0, count: rows * batch)
    let scratch = UnsafeMutableRawPointer.allocate(
        byteCount: max(MatMul.scratchBytes(format: format, columns: columns, batch: batch), 1), alignment: 64)
    defer { scratch.deallocate() }
    var copy = 0
    let seconds = best {
        MatMul.multiply(
            weights: weights + copy * matrixBytes, format: format, rows: rows, columns: columns, input: input,
            batch: batch, output: &output, scratch: scratch, pool: pool)
        copy = (copy + 1) % copies
    }
    let where_ = copies > 1 ? "DRAM" : "cache"
    print(
        String(
            format: "%@ threads %d %6dx%-5d batch %-2d %-5@ %9.1f us  %5.1f GB/s  %5.1f Gweights/s",
            format.name, pool.threadCount, rows, columns, batch, where_, seconds * 1e6,
            Double(matrixBytes) / seconds / 1e9, Double(rows * columns * batch) / seconds / 1e9))
}

print("kernel path:", KernelPath.active)
for threads in [1, 2] {
    let pool = ThreadPool(threadCount: threads)
    let runCost = best(seconds: 0.3) { pool.run { _, _ in } }
    print(String(format: "threads %d: empty pool.run %.2f us", threads, runCost * 1e6))
    for format in [WeightFormat.q4_1] {
        bench(format: format, rows: 576, columns: 1536, batch: 1, copies: 1, pool: pool)
        bench(format: format, rows: 576, columns: 1536, batch: 1, copies: 160, pool: pool)
        bench(format: format, rows: 49152, columns: 576, batch: 1, copies: 1, pool: pool)
        bench(format: format, rows: 49152, columns: 576, batch: 1, copies: 6, pool: pool)
        bench(format: format, rows: 576, columns: 1536, batch: 16, copies: 1, pool: pool)
    }
}
