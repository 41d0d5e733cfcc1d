import TernKernels

/// Measures how fast this machine streams memory into the cores: threads sum a large
/// buffer (far larger than any cache), so decode speed can be set against the physical
/// limit of reading the weights once per token.
public final class BandwidthProbe {
    /// Bytes the probe reads per run.
    public let byteCount: Int
    private let buffer: UnsafeMutableRawPointer
    // One 64-byte slot per thread, so the sums are stored (and not optimised away) without false sharing.
    private let sums: UnsafeMutablePointer<UInt64>
    private static let maxThreads = 512
    private static let chunk = MemoryLayout<SIMD8<UInt64>>.size * 4  // bytes per loop iteration

    /// Allocates and writes `byteCount` bytes (rounded down to 256), so the pages are resident before timing.
    public init(byteCount: Int = 1 << 30) {
        precondition(byteCount >= Self.chunk)  // callers pass at least a few KiB
        self.byteCount = byteCount / Self.chunk * Self.chunk
        buffer = .allocate(byteCount: self.byteCount, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: self.byteCount)
        sums = .allocate(capacity: Self.maxThreads * 8)
        sums.initialize(repeating: 0, count: Self.maxThreads * 8)
    }

    deinit {
        buffer.deallocate()
        sums.deallocate()
    }

    /// Reads the whole buffer with `pool`'s threads, once to warm up and then `repetitions`
    /// times, returning the bandwidth of each timed run in bytes per second.
    public func measure(pool: ThreadPool, repetitions: Int) -> [Double] {
        precondition(repetitions >= 1 && pool.threadCount <= Self.maxThreads)  // validated by the caller
        let clock = ContinuousClock()
        read(pool)
        return (0..<repetitions).map { _ in
            let start = clock.now
            read(pool)
            let seconds = (clock.now - start).seconds
            return seconds > 0 ? Double(byteCount) / seconds : 0
        }
    }

    /// The sum of every 64-bit word of the buffer from the last run (keeps the reads observable).
    public var lastChecksum: UInt64 { (0..<Self.maxThreads).reduce(0) { $0 &+ sums[$1 * 8] } }

    private func read(_ pool: ThreadPool) {
        let chunks = byteCount / Self.chunk
        let buffer = UnsafeRawPointer(buffer), sums = sums
        pool.run { ith, nth in
            // Each thread streams a contiguous share; four accumulators keep several loads in flight.
            let begin = chunks * ith / nth, end = chunks * (ith + 1) / nth
            let vectors = buffer.assumingMemoryBound(to: SIMD8<UInt64>.self)
            var a = SIMD8<UInt64>(), b = a, c = a, d = a
            var i = begin * 4
            while i < end * 4 {
                a &+= vectors[i]
                b &+= vectors[i + 1]
                c &+= vectors[i + 2]
                d &+= vectors[i + 3]
                i += 4
            }
            sums[ith * 8] = (a &+ b &+ c &+ d).wrappedSum()
        }
        for i in pool.threadCount..<Self.maxThreads { sums[i * 8] = 0 }
    }
}
