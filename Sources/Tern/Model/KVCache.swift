/// Keys and values of every layer, in fixed-size blocks of positions.
///
/// Layout per layer: (blockCount, blockSize, kvDimension) f16 keys, and the same for values.
/// A sequence's positions map to blocks through its block table (see `ForwardBatch`), so many
/// sequences share one cache and a block can hold a prefix several sequences have in common.
/// A single sequence can also use one block as large as its context (`init(config:capacity:)`).
/// f16 as in llama.cpp: half the memory of f32, and logits that track its results.
public final class KVCache: @unchecked Sendable {
    // @unchecked: one forward pass at a time writes it; callers serialise access.
    public let layerCount: Int
    public let blockCount: Int
    /// Positions per block.
    public let blockSize: Int
    public let kvDimension: Int
    let keys: UnsafeMutablePointer<UInt16>    // (layers, blockCount, blockSize, kvDim) f16
    let values: UnsafeMutablePointer<UInt16>  // (layers, blockCount, blockSize, kvDim) f16

    /// Positions the whole cache holds.
    public var capacity: Int { blockCount * blockSize }

    /// Bytes a cache of `positions` positions takes for `config`.
    public static func bytes(config: ModelConfig, capacity positions: Int) -> Int {
        2 * config.layerCount * positions * config.kvDimension * MemoryLayout<UInt16>.size
    }

    public init(config: ModelConfig, blockCount: Int, blockSize: Int) {
        precondition(blockCount > 0 && blockSize > 0)  // callers size it from validated flags
        layerCount = config.layerCount
        self.blockCount = blockCount
        self.blockSize = blockSize
        kvDimension = config.kvDimension
        let count = layerCount * blockCount * blockSize * kvDimension
        // Left untouched: only positions a forward pass has written are ever read, and
        // pages never written stay out of resident memory until the cache fills.
        keys = .allocate(capacity: count)
        values = .allocate(capacity: count)
    }

    /// A cache for one sequence of up to `capacity` positions: a single block.
    public convenience init(config: ModelConfig, capacity: Int) {
        self.init(config: config, blockCount: 1, blockSize: capacity)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Values between the starts of consecutive blocks.
    var blockStride: Int { blockSize * kvDimension }

    @inline(__always)
    func keys(layer: Int) -> UnsafeMutablePointer<UInt16> { keys + layer * blockCount * blockStride }

    @inline(__always)
    func values(layer: Int) -> UnsafeMutablePointer<UInt16> { values + layer * blockCount * blockStride }
}
