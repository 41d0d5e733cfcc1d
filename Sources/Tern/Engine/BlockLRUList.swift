/// An intrusive doubly linked list over block ids `0..<capacity`, oldest first: the free blocks
/// that still hold cached contents, in the order they became free. Insertion at the tail,
/// removal of any member (a prefix-cache hit revives it) and popping the head (eviction) are O(1).
struct BlockLRUList {
    private static let none = -1
    // Links per block id; meaningful only while the block is a member.
    private var previous: [Int]
    private var next: [Int]
    private var isMember: [Bool]
    private(set) var head = none
    private(set) var tail = none
    private(set) var count = 0

    init(capacity: Int) {
        previous = Array(repeating: Self.none, count: capacity)
        next = Array(repeating: Self.none, count: capacity)
        isMember = Array(repeating: false, count: capacity)
    }

    var isEmpty: Bool { count == 0 }

    func contains(_ block: Int) -> Bool { isMember[block] }

    /// Makes `block` the most recently used member.
    mutating func append(_ block: Int) {
        precondition(!isMember[block], "block \(block) is already in the LRU list")  // a block is freed once
        isMember[block] = true
        previous[block] = tail
        next[block] = Self.none
        if tail == Self.none { head = block } else { next[tail] = block }
        tail = block
        count += 1
    }

    mutating func remove(_ block: Int) {
        precondition(isMember[block], "block \(block) is not in the LRU list")  // callers check `contains`
        let before = previous[block]
        let after = next[block]
        if before == Self.none { head = after } else { next[before] = after }
        if after == Self.none { tail = before } else { previous[after] = before }
        isMember[block] = false
        count -= 1
    }

    /// Removes and returns the least recently used member.
    mutating func popOldest() -> Int? {
        guard head != Self.none else { return nil }
        let block = head
        remove(block)
        return block
    }

    /// Members oldest first, by walking the links (for invariant checks and tests).
    /// - Returns: nil when the links are inconsistent (a cycle, a broken back link, a wrong count).
    func walk() -> [Int]? {
        var members: [Int] = []
        var block = head
        var before = Self.none
        while block != Self.none {
            guard members.count < count, isMember[block], previous[block] == before else { return nil }
            members.append(block)
            before = block
            block = next[block]
        }
        guard members.count == count, before == tail, isMember.count(where: { $0 }) == count else { return nil }
        return members
    }
}
