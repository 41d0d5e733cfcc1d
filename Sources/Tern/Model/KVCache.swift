/// Keys and values of every layer for one sequence, contiguous by position.
///
/// Layout per layer: (capacity, kvDimension) floats, keys and values apart.
/// The paged cache of the serving engine replaces this for many sequences.
public final class KVCache: @unchecked Sendable {
    // @unchecked: one forward pass at a time writes it; callers serialise access.
    public let layerCount: Int
    public let capacity: Int
    public let kvDimension: Int
    let keys: UnsafeMutablePointer<Float>    // (layers, capacity, kvDim)
    let values: UnsafeMutablePointer<Float>  // (layers, capacity, kvDim)

    /// Bytes a cache of `capacity` positions takes for `config`.
    public static func bytes(config: ModelConfig, capacity: Int) -> Int {
        2 * config.layerCount * capacity * config.kvDimension * MemoryLayout<Float>.size
    }

    public init(config: ModelConfig, capacity: Int) {
        precondition(capacity > 0)  // callers size it from a validated context length
        layerCount = config.layerCount
        self.capacity = capacity
        kvDimension = config.kvDimension
        let count = layerCount * capacity * kvDimension
        keys = .allocate(capacity: count)
        values = .allocate(capacity: count)
        keys.initialize(repeating: 0, count: count)
        values.initialize(repeating: 0, count: count)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    func keys(layer: Int, position: Int) -> UnsafeMutablePointer<Float> {
        keys + (layer * capacity + position) * kvDimension
    }

    @inline(__always)
    func values(layer: Int, position: Int) -> UnsafeMutablePointer<Float> {
        values + (layer * capacity + position) * kvDimension
    }
}
