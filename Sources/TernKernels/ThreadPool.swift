import CTernKernels

/// A fixed set of threads that run one job at a time, for splitting a matrix
/// product (or any loop) across cores.
///
/// Workers persist between jobs: they poll for about 0.1 ms after a job (spin,
/// then yield), so the next matrix product of a decode step starts without a
/// wake-up, then park on a futex so an idle pool uses no CPU. The calling
/// thread runs index 0. Indices 1... go to whichever thread is free first, the
/// caller included: when another process holds a core and a worker cannot run,
/// the caller does that share instead of waiting. `run` allocates nothing.
public final class ThreadPool: @unchecked Sendable {  // the C pool synchronizes itself
    /// The C pool (`tern_pool *`), for kernels that run C jobs on it directly.
    let pool: OpaquePointer

    /// Threads that run each job, the caller included.
    public let threadCount: Int

    /// Starts `threadCount - 1` worker threads.
    /// - Parameter threadCount: threads per job, at least 1 (1 means the caller
    ///   runs everything). If the system refuses to start a thread the pool
    ///   runs with the ones it has; check `threadCount`.
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "a pool needs at least one thread")
        guard let pool = tern_pool_create(Int64(threadCount)) else {
            preconditionFailure("out of memory creating a thread pool")
        }
        self.pool = pool
        self.threadCount = Int(tern_pool_thread_count(pool))
    }

    deinit {
        tern_pool_destroy(pool)
    }

    /// Runs `body(threadIndex, threadCount)` once for every index below
    /// `threadCount`, spread over the pool's threads, and returns when all have
    /// finished. `body` runs concurrently with itself, so it must only write
    /// memory that belongs to its own index. Call `run` from one thread at a
    /// time, and not from inside `body`.
    public func run(_ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { job in
                tern_pool_run(
                    pool,
                    { context, index, count in
                        guard let context else { return }
                        context.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(index), Int(count))
                    }, job)
            }
        }
    }
}
