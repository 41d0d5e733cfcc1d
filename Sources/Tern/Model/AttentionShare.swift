/// The query heads one thread attends in a one-token step (single-sequence decode), as runs
/// that each lie within one kv head's group, in order.
///
/// Thread `t` of `n` takes the contiguous heads `H·t/n ..< H·(t+1)/n` of `H = kvHeads · group`,
/// so shares differ by at most one head, and a share holds whole kv heads wherever the
/// split falls on group boundaries (always when `n` divides `kvHeads`). For SmolLM2 (three kv
/// heads of three query heads) on two threads: thread 0 gets kv head 0 whole and head 3,
/// thread 1 heads 4 and 5 and kv head 2 whole, four and five heads.
struct AttentionShare: Sequence, IteratorProtocol {
    private var head: Int
    private let end: Int
    private let group: Int

    /// - Precondition: `kvHeads >= 1`, `group >= 1`, `0 <= thread < threadCount`.
    init(thread: Int, threadCount: Int, kvHeads: Int, group: Int) {
        precondition(kvHeads >= 1 && group >= 1 && thread >= 0 && thread < threadCount)  // from the model and pool
        let heads = kvHeads * group
        head = heads * thread / threadCount
        end = heads * (thread + 1) / threadCount
        self.group = group
    }

    /// The next run of query heads, all reading kv head `run.lowerBound / group`.
    mutating func next() -> Range<Int>? {
        guard head < end else { return nil }
        let run = head..<Swift.min(end, (head / group + 1) * group)
        head = run.upperBound
        return run
    }
}
