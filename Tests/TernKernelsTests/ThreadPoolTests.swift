import Testing
@testable import TernKernels

@Suite("Thread pool")
struct ThreadPoolTests {
    @Test("Each thread index runs exactly once per call, over many calls", arguments: [1, 2, 3])
    func everyIndexOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        #expect(pool.threadCount == threads)
        let runs = 2000
        // One slot per thread, each written only by its own index.
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0, count: threads)
        defer { counts.deallocate() }
        nonisolated(unsafe) var sawWrongCount = false
        for _ in 0..<runs {
            pool.run { index, count in
                if count != threads { sawWrongCount = true }
                counts[index] += 1
            }
        }
        #expect(!sawWrongCount)
        #expect(Array(UnsafeBufferPointer(start: counts, count: threads)) == Array(repeating: runs, count: threads))
    }

    @Test("Work split by index covers a range exactly once")
    func splitCoversRange() {
        let pool = ThreadPool(threadCount: 2)
        let n = 1001
        let marks = UnsafeMutablePointer<Int>.allocate(capacity: n)
        marks.initialize(repeating: 0, count: n)
        defer { marks.deallocate() }
        for _ in 0..<10 {
            pool.run { index, count in
                for i in n * index / count..<n * (index + 1) / count { marks[i] += 1 }
            }
        }
        #expect(UnsafeBufferPointer(start: marks, count: n).allSatisfy { $0 == 10 })
    }

    @Test("A pool that has parked wakes up for the next job")
    func wakesAfterParking() async throws {
        let pool = ThreadPool(threadCount: 2)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        hits.initialize(repeating: 0, count: 2)
        defer { hits.deallocate() }
        pool.run { index, _ in hits[index] += 1 }
        try await Task.sleep(for: .milliseconds(20))  // well past the spin window
        pool.run { index, _ in hits[index] += 1 }
        #expect(hits[0] == 2 && hits[1] == 2)
    }
}
