/// Finds a token id by the exact UTF-8 bytes of its stored text: an open-addressing
/// hash table over one flat byte buffer.
///
/// Not `[String: Int32]`: Swift compares and hashes strings by canonical equivalence,
/// which first normalizes them. That is slow for byte-level vocabularies (almost every
/// token holds a non-ASCII letter such as `Ġ`), and could even fold two distinct added
/// tokens into one. Loading is dominated by cache misses, so each probe touches one
/// slot (which carries part of the hash) and one entry before the key bytes.
struct TokenIndex: Sendable {
    private struct Entry: Sendable {
        var start: UInt32
        var length: UInt32
        var id: Int32
    }

    /// All keys, back to back.
    private var storage: [UInt8] = []
    private var entries: [Entry] = []
    /// Per slot: the high 32 bits of the key's hash, then entry index + 1 (0 = free).
    /// The count is a power of two, at most half full.
    private var slots: [UInt64]

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        storage.reserveCapacity(capacity * 8)
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    /// The id stored for `key`, or nil.
    func id(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let (slot, _) = findSlot(key)
        let value = slots[slot]
        return value == 0 ? nil : entries[Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1].id
    }

    func id(of text: String) -> Int32? {
        var text = text
        return text.withUTF8 { id(of: $0) }
    }

    /// Stores `id` for `key`, replacing the id of an equal key.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, id: Int32) {
        let (slot, tag) = findSlot(key)
        let value = slots[slot]
        if value != 0 {
            entries[Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1].id = id
            return
        }
        entries.append(Entry(start: UInt32(storage.count), length: UInt32(key.count), id: id))
        storage.append(contentsOf: key)
        slots[slot] = tag << 32 | UInt64(entries.count)
        if entries.count * 2 > slots.count { grow() }
    }

    mutating func insert(_ text: String, id: Int32) {
        var text = text
        text.withUTF8 { insert($0, id: id) }
    }

    /// The slot holding `key` (or the free slot where it would go), and its hash tag.
    private func findSlot(_ key: UnsafeBufferPointer<UInt8>) -> (slot: Int, tag: UInt64) {
        let hash = Self.hash(key)
        let tag = hash >> 32
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return storage.withUnsafeBufferPointer { stored in
            slots.withUnsafeBufferPointer { slots in
                while true {
                    let value = slots[slot]
                    if value == 0 { return (slot, tag) }
                    if value >> 32 == tag {
                        let entry = entries[Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1]
                        let length = Int(entry.length)
                        if length == key.count {
                            let start = Int(entry.start)
                            var same = 0
                            while same < length && stored[start + same] == key[same] { same += 1 }
                            if same == length { return (slot, tag) }
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for value in slots where value != 0 {
            let entry = entries[Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1]
            let hash = storage.withUnsafeBufferPointer { stored in
                Self.hash(UnsafeBufferPointer(rebasing: stored[Int(entry.start)..<Int(entry.start + entry.length)]))
            }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = value
        }
        slots = bigger
    }

    /// FNV-1a (64-bit), then a final mix so the low bits used for the slot depend on every byte.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        return hash ^ (hash >> 32)
    }
}
