/// A small deterministic pseudo-random generator: xoshiro256** seeded through splitmix64.
///
/// Sampling uses this instead of `SystemRandomNumberGenerator` so that one seed gives the same
/// stream of numbers, and therefore the same tokens, on every platform and Swift version.
/// Only integer arithmetic is involved, so the output is bit-for-bit reproducible.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    // The 256-bit xoshiro state; never all zero (splitmix64 cannot produce four zero words in a row).
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole output is determined by `seed`.
    /// - Parameter seed: any value, including 0; nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        // splitmix64 spreads one 64-bit seed over the 256-bit state, as xoshiro's authors recommend.
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix()
        s1 = splitmix()
        s2 = splitmix()
        s3 = splitmix()
    }

    /// The next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, by: 45)
        return result
    }

    /// A uniform value in [0, 1) with 53 random bits (every representable step of 2⁻⁵³).
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}
