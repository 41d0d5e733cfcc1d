extension Scheduler {
    /// Verifies the scheduler's queues, then the block manager's accounting against them.
    ///
    /// Checks that: waiting sequences are marked waiting and hold no blocks and nothing computed;
    /// running sequences are marked running, have something left to compute, and number at most
    /// `maxSequences`; both queues are in arrival order and every running sequence arrived before
    /// every waiting one (first-come first-served); no sequence is queued twice; and
    /// `BlockManager.checkInvariants(sequences:)` holds for all of them.
    /// - Throws: the first violation found.
    public func checkInvariants() throws(InvariantViolation) {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
            if !ok { throw InvariantViolation(message()) }
        }
        for seq in waiting {
            try check(seq.status == .waiting, "waiting sequence \(seq.id) has status \(seq.status)")
            try check(
                seq.blockTable.isEmpty && seq.computedCount == 0,
                "waiting sequence \(seq.id) holds \(seq.blockTable.count) blocks and \(seq.computedCount) computed tokens")
        }
        try check(running.count <= maxSequences, "\(running.count) sequences run, more than \(maxSequences)")
        for seq in running {
            try check(seq.status == .running, "running sequence \(seq.id) has status \(seq.status)")
            try check(seq.uncomputedCount >= 1, "running sequence \(seq.id) has nothing left to compute")
        }
        for queue in [waiting, running] {
            for (earlier, later) in zip(queue, queue.dropFirst()) {
                try check(
                    earlier.arrivalOrder < later.arrivalOrder,
                    "sequence \(earlier.id) (arrival \(earlier.arrivalOrder)) is queued before "
                        + "\(later.id) (arrival \(later.arrivalOrder))")
            }
        }
        if let newestRunning = running.last, let oldestWaiting = waiting.first {
            try check(
                newestRunning.arrivalOrder < oldestWaiting.arrivalOrder,
                "sequence \(oldestWaiting.id) waits although the newer \(newestRunning.id) runs")
        }
        let all = waiting + running
        try check(Set(all.map(\.id)).count == all.count, "a sequence id is queued twice")
        try blockManager.checkInvariants(sequences: all)
    }
}
