extension BlockManager {
    /// The parent hash of a sequence's first block.
    static let rootHash: UInt64 = 0xCBF2_9CE4_8422_2325

    /// A deterministic 64-bit hash of one block chained over its parent's hash: the same tokens
    /// after the same prefix give the same value in every process and on every platform
    /// (unlike Swift's `Hasher`, which is seeded per process), so hashes could be persisted
    /// or compared across replicas later.
    ///
    /// Each token goes through an xxHash64-style round (multiply, rotate, multiply), the parent
    /// hash and the token count seed the state, and a final avalanche spreads every input bit.
    /// Hits are still confirmed by comparing tokens; the hash only has to make misses cheap.
    static func chainedHash(parentHash: UInt64, tokens: ArraySlice<Int>) -> UInt64 {
        let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
        let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        let prime3: UInt64 = 0x1656_67B1_9E37_79F9
        var state = parentHash &+ prime3 &+ UInt64(truncatingIfNeeded: tokens.count) &* prime1
        for token in tokens {
            var lane = UInt64(truncatingIfNeeded: token) &* prime2
            lane = (lane << 31 | lane >> 33) &* prime1
            state ^= lane
            state = (state << 27 | state >> 37) &* prime1 &+ prime2
        }
        // xxHash64's avalanche.
        state ^= state >> 33
        state &*= prime2
        state ^= state >> 29
        state &*= prime3
        state ^= state >> 32
        return state
    }
}
