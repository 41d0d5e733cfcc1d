/// The hyperparameters of a Llama-architecture model, read from GGUF metadata
/// and validated once; nothing downstream re-checks them.
public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var name: String
    public var embeddingLength: Int      // dim
    public var layerCount: Int
    public var feedForwardLength: Int    // hidden dim of the SwiGLU MLP
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var vocabularySize: Int
    public var contextLength: Int        // trained context
    public var rmsNormEpsilon: Float
    public var ropeFrequencyBase: Float
    public var ropeDimensionCount: Int   // leading dimensions of each head that RoPE rotates

    public var queryDimension: Int { headCount * headDimension }
    public var kvDimension: Int { kvHeadCount * headDimension }

    /// Reads and validates the config of the model in `file`.
    public init(file: GGUFFile) throws(ModelError) {
        let path = file.path
        let arch = file.string("general.architecture") ?? "(none)"
        // Mistral-style and Llama-3-style files also declare "llama"; other names need their own graphs.
        guard arch == "llama" else { throw .unsupportedArchitecture(path: path, architecture: arch) }
        architecture = arch
        name = file.string("general.name") ?? "model"

        func int(_ key: String) throws(ModelError) -> Int {
            guard let value = file.int("\(arch).\(key)") else {
                throw .invalidConfig(path: path, what: "missing or non-integer '\(arch).\(key)'")
            }
            return value
        }
        embeddingLength = try int("embedding_length")
        layerCount = try int("block_count")
        feedForwardLength = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        kvHeadCount = file.int("\(arch).attention.head_count_kv") ?? headCount
        contextLength = try int("context_length")
        rmsNormEpsilon = Float(file.float("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5)
        ropeFrequencyBase = Float(file.float("\(arch).rope.freq_base") ?? 10_000)

        guard headCount > 0, embeddingLength > 0, embeddingLength % headCount == 0 else {
            throw .invalidConfig(path: path, what: "embedding_length \(embeddingLength) is not a multiple of head_count \(headCount)")
        }
        headDimension = file.int("\(arch).attention.key_length") ?? embeddingLength / headCount
        ropeDimensionCount = file.int("\(arch).rope.dimension_count") ?? headDimension
        vocabularySize = file.int("\(arch).vocab_size")
            ?? file.tensorInfo("token_embd.weight")?.shape.last
            ?? 0

        let limits: [(String, Int, ClosedRange<Int>)] = [
            ("embedding_length", embeddingLength, 1...65_536),
            ("block_count", layerCount, 1...512),
            ("feed_forward_length", feedForwardLength, 1...262_144),
            ("attention.head_count_kv", kvHeadCount, 1...headCount),
            ("head dimension", headDimension, 2...1024),
            ("vocab_size", vocabularySize, 1...1_048_576),
            ("context_length", contextLength, 1...10_485_760),
            ("rope.dimension_count", ropeDimensionCount, 2...headDimension),
        ]
        for (key, value, range) in limits where !range.contains(value) {
            throw .invalidConfig(path: path, what: "\(key) = \(value), expected \(range.lowerBound)...\(range.upperBound)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw .invalidConfig(path: path, what: "head_count \(headCount) is not a multiple of head_count_kv \(kvHeadCount)")
        }
        guard ropeDimensionCount % 2 == 0 else {
            throw .invalidConfig(path: path, what: "rope.dimension_count \(ropeDimensionCount) is odd")
        }
        guard rmsNormEpsilon > 0, rmsNormEpsilon.isFinite, ropeFrequencyBase > 1, ropeFrequencyBase.isFinite else {
            throw .invalidConfig(path: path, what: "rms epsilon \(rmsNormEpsilon) or rope base \(ropeFrequencyBase) out of range")
        }
    }
}
