/// A binary min-heap of candidate merges: lowest rank first, and among equal ranks the
/// leftmost pair first (the order llama.cpp applies merges in).
struct MergeQueue {
    struct Candidate {
        let rank: Int32
        /// Positions of the two symbols in the word.
        let left: Int32
        let right: Int32
        /// Their symbol ids when queued; a mismatch later means the pair is stale.
        let leftID: Int32
        let rightID: Int32
        let result: Int32

        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    private var heap: [Candidate] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func insert(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Candidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var best = left
            if left + 1 < count && heap[left + 1].precedes(heap[left]) { best = left + 1 }
            guard heap[best].precedes(heap[parent]) else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return first
    }
}
