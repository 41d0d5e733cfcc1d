/// Keys and values of every layer for one sequence, contiguous by position.
///
/// Layout per layer: (capacity, kvDimension) f16 values, keys and values apart.
/// f16 as in llama.cpp: half the memory of f32, and logits that track its results.
/// The paged cache of the serving engine replaces this for many sequences.
public final class KVCache: @unchecked Sendable {
    // @unchecked: one forward pass at a time writes it; callers serialise access.
    public let layerCount: Int
    public let capacity: Int
    public let kvDimension: Int
    let keys: UnsafeMutablePointer<UInt16>    // (layers, capacity, kvDim) f16
    let values: UnsafeMutablePointer<UInt16>  // (layers, capacity, kvDim) f16

    /// Bytes a cache of `capacity` positions takes for `config`.
    public static func bytes(config: ModelConfig, capacity: Int) -> Int {
        2 * config.layerCount * capacity * config.kvDimension * MemoryLayout<UInt16>.size
    }

    public init(config: ModelConfig, capacity: Int) {
        precondition(capacity > 0)  // callers size it from a validated context length
        layerCount = config.layerCount
        self.capacity = capacity
        kvDimension = config.kvDimension
        let count = layerCount * capacity * kvDimension
        // Left untouched: only positions a forward pass has written are ever read, and
        // pages never written stay out of resident memory until the context grows.
        keys = .allocate(capacity: count)
        values = .allocate(capacity: count)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    func keys(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        keys + (layer * capacity + position) * kvDimension
    }

    @inline(__always)
    func values(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        values + (layer * capacity + position) * kvDimension
    }
}
