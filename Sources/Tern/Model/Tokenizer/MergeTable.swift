/// BPE merge rules keyed by the pair of symbol ids they join: an open-addressing hash
/// table, looked up for every adjacent pair while encoding.
struct MergeTable: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    private struct Slot: Sendable {
        var key: UInt64  // left << 32 | right; `free` when empty
        var merge: Merge
    }

    private static let free = UInt64.max  // ids are non-negative Int32, so no real key is this
    private var slots: [Slot]
    private let shift: UInt64
    private(set) var count = 0

    /// Room for `capacity` rules at most half full.
    init(capacity: Int) {
        var bits: UInt64 = 4
        while 1 << bits < capacity * 2 { bits += 1 }
        shift = 64 - bits
        slots = Array(repeating: Slot(key: Self.free, merge: Merge(rank: 0, result: 0)), count: 1 << bits)
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// The rule joining `left` and `right`, or nil.
    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        return slots.withUnsafeBufferPointer { slots in
            var slot = start(key)
            while true {
                let candidate = slots[slot]
                if candidate.key == key { return candidate.merge }
                if candidate.key == Self.free { return nil }
                slot = (slot + 1) & (slots.count - 1)
            }
        }
    }

    /// Adds a rule unless one for the same pair exists (the earlier, higher-priority rule wins).
    /// - Precondition: fewer rules than the capacity given to `init`.
    mutating func insertIfAbsent(_ left: Int32, _ right: Int32, _ merge: Merge) {
        precondition(count * 2 < slots.count, "MergeTable sized for fewer rules")  // sized by the caller
        let key = Self.key(left, right)
        var slot = start(key)
        while slots[slot].key != Self.free {
            if slots[slot].key == key { return }
            slot = (slot + 1) & (slots.count - 1)
        }
        slots[slot] = Slot(key: key, merge: merge)
        count += 1
    }

    /// Fibonacci hashing: the top bits of key × 2^64/φ.
    private func start(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
