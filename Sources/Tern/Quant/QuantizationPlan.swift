import TernKernels

/// For every tensor of a model, the type `tern quantize` writes and why, decided
/// before any byte is converted (so every problem surfaces before the output is created).
///
/// The rules follow llama-quantize (`llama_tensor_get_type` in llama.cpp's
/// `src/llama-quant.cpp`), without its K-quant mixtures:
/// 1. Tensors that are not quantizable weights (1-D tensors such as norms, names not
///    ending in `weight`, a few small special tensors) keep their stored type.
/// 2. `--embedding-type` sets `token_embd.weight`; `--output-type` sets `output.weight`.
/// 3. The first `--tensor-type REGEX=TYPE` whose regex matches the name sets the type.
/// 4. Otherwise, unless `pure`: the output head, and the token embeddings, keep at
///    least q8_0 precision (llama.cpp uses Q6_K; Tern has no K-quants). When the
///    model ties its embeddings to the output head (no `output.weight`), the
///    embeddings are the output head and `--output-type` applies to them.
/// 5. Everything else gets `type`.
/// Finally a tensor whose rows are not whole blocks of the chosen format falls back
/// to a compatible one (`fallback(for:rowLength:)`) and is listed in `notes`.
public struct QuantizationPlan: Sendable {
    /// Why a tensor gets its type.
    public enum Reason: Sendable, Equatable {
        /// Not a quantizable weight: written exactly as stored.
        case notQuantizable
        /// The `--type` of the run.
        case defaultType
        /// The output head (or tied token embeddings) kept at higher precision.
        case outputHead
        /// The token embeddings kept at higher precision.
        case tokenEmbedding
        /// `--output-type`.
        case outputFlag
        /// `--embedding-type`.
        case embeddingFlag
        /// The `--tensor-type` rule with this pattern.
        case override(pattern: String)
    }

    /// A format that did not fit the tensor's rows, replaced by `Entry.target`.
    public struct Fallback: Sendable, Equatable {
        public let requested: WeightFormat
        public let rowLength: Int
    }

    /// One tensor's decision.
    public struct Entry: Sendable {
        public let tensor: GGUFTensorInfo
        /// The type written to the output.
        public let target: GGMLType
        public let reason: Reason
        /// Set when the chosen format did not fit and `target` replaced it.
        public let fallback: Fallback?
        /// Bytes of the tensor in the output.
        public let outputByteCount: Int
        /// Whether the bytes are copied unchanged (the target is the stored type).
        public var isCopy: Bool { target == tensor.type }
    }

    /// One entry per input tensor, in file order.
    public let entries: [Entry]
    public let options: QuantizationOptions

    /// The least precision kept for the output head and token embeddings.
    public static let higherPrecisionFormat = WeightFormat.q8_0

    /// Formats tried, in order, when a format's block does not divide a row: the first
    /// with a smaller block that divides the row and at least the same bits per weight
    /// (as llama.cpp turns 256-blocks into q4_0 or q8_0); f16 when none fits.
    public static let fallbackFormats: [WeightFormat] = [.q4_0, .q8_0]

    /// Decides every tensor's type.
    /// - Throws: `QuantizeError.unsupportedSourceType` when a tensor must be converted
    ///   from a type Tern cannot decode; `QuantizeError.unwritableType` when a chosen
    ///   format has no GGUF type id.
    public init(tensors: [GGUFTensorInfo], options: QuantizationOptions) throws(QuantizeError) {
        self.options = options
        let tied = !tensors.contains { $0.name == "output.weight" }
        let rules = options.overrides.compactMap { rule in rule.compiled().map { (rule, $0) } }
        var entries: [Entry] = []
        entries.reserveCapacity(tensors.count)
        for tensor in tensors {
            guard Self.isQuantizable(tensor) else {
                entries.append(Entry(
                    tensor: tensor, target: tensor.type, reason: .notQuantizable, fallback: nil,
                    outputByteCount: tensor.byteCount))
                continue
            }
            let (chosen, reason) = Self.choose(for: tensor.name, tied: tied, options: options, rules: rules)
            let fitted = Self.fallback(for: chosen, rowLength: tensor.rowLength)
            guard let target = GGMLType(id: fitted.rawValue), target.name == fitted.name else {
                throw .unwritableType(name: fitted.name)
            }
            if target != tensor.type && tensor.type.format == nil {
                throw .unsupportedSourceType(tensor: tensor.name, type: tensor.type.name)
            }
            entries.append(Entry(
                tensor: tensor, target: target, reason: reason,
                fallback: fitted == chosen ? nil : Fallback(requested: chosen, rowLength: tensor.rowLength),
                outputByteCount: GGUFWriter.byteCount(shape: tensor.shape, type: target) ?? 0))
        }
        self.entries = entries
    }

    /// Rules 2 to 5 for a quantizable tensor.
    static func choose(
        for name: String, tied: Bool, options: QuantizationOptions, rules: [(TensorTypeOverride, Regex<AnyRegexOutput>)]
    ) -> (WeightFormat, Reason) {
        let isEmbedding = name == "token_embd.weight" || name == "per_layer_token_embd.weight"
        let isOutput = name == "output.weight"
        if isEmbedding, let format = options.embeddingType { return (format, .embeddingFlag) }
        if isOutput, let format = options.outputType { return (format, .outputFlag) }
        if let (rule, _) = rules.first(where: { name.contains($0.1) }) {
            return (rule.format, .override(pattern: rule.pattern))
        }
        guard !options.pure else { return (options.type, .defaultType) }
        if isOutput || (tied && name == "token_embd.weight") {
            if let format = options.outputType { return (format, .outputFlag) }
            return (atLeastHigherPrecision(options.type), .outputHead)
        }
        if isEmbedding { return (atLeastHigherPrecision(options.type), .tokenEmbedding) }
        return (options.type, .defaultType)
    }

    static func atLeastHigherPrecision(_ format: WeightFormat) -> WeightFormat {
        format.bitsPerWeight < higherPrecisionFormat.bitsPerWeight ? higherPrecisionFormat : format
    }

    /// `format` when its block divides `rowLength`, else the first of `fallbackFormats`
    /// with a smaller block that divides it and at least as many bits per weight, else f16.
    public static func fallback(for format: WeightFormat, rowLength: Int) -> WeightFormat {
        fallback(blockSize: format.blockSize, bitsPerWeight: format.bitsPerWeight, rowLength: rowLength) ?? format
    }

    /// The replacement for a format of `blockSize` and `bitsPerWeight` on rows of
    /// `rowLength`, or nil when the format fits.
    static func fallback(blockSize: Int, bitsPerWeight: Double, rowLength: Int) -> WeightFormat? {
        guard rowLength % blockSize != 0 else { return nil }
        let compatible = fallbackFormats.first {
            $0.blockSize < blockSize && rowLength % $0.blockSize == 0 && $0.bitsPerWeight >= bitsPerWeight
        }
        return compatible ?? .f16
    }

    /// Whether llama-quantize would quantize `tensor`: a weight matrix with at least
    /// two non-trivial dimensions, not a norm or one of the small tensors models keep exact.
    public static func isQuantizable(_ tensor: GGUFTensorInfo) -> Bool {
        // ggml_n_dims: trailing dimensions of size 1 do not count.
        let dimensions = (tensor.shape.lastIndex { $0 != 1 } ?? 0) + 1
        guard dimensions >= 2, tensor.name.hasSuffix("weight") else { return false }
        return !keptExact.contains { tensor.name.contains($0) }
    }

    /// Name fragments of weights llama-quantize never quantizes (norms, MoE routers,
    /// positional and token-type embeddings, small convolution and mixing tensors).
    static let keptExact = [
        "_norm.weight", "ffn_gate_inp.weight", "position_embd.weight", "token_types.weight", "ssm_conv1d",
        "attn_rel_b.weight", "altup", "laurel", "per_layer_model_proj", "time_mix_first.weight",
    ]

    // MARK: Summaries

    /// Entries whose bytes are converted (not copied).
    public var conversions: [Entry] { entries.filter { !$0.isCopy } }

    /// One line per kind of fallback, e.g. "180 tensors use q4_0 instead of tq2_0: their
    /// rows (576) are not a multiple of tq2_0's block of 256".
    public var notes: [String] {
        var groups: [(requested: WeightFormat, target: String, rows: [Int], count: Int)] = []
        for entry in entries {
            guard let fallback = entry.fallback else { continue }
            if let i = groups.firstIndex(where: { $0.requested == fallback.requested && $0.target == entry.target.name }) {
                groups[i].count += 1
                if !groups[i].rows.contains(fallback.rowLength) { groups[i].rows.append(fallback.rowLength) }
            } else {
                groups.append((fallback.requested, entry.target.name, [fallback.rowLength], 1))
            }
        }
        return groups.map { group in
            let rows = group.rows.map(String.init).joined(separator: ", ")
            return "\(group.count) tensor\(group.count == 1 ? "" : "s") use\(group.count == 1 ? "s" : "") \(group.target) "
                + "instead of \(group.requested.name): \(group.count == 1 ? "its" : "their") rows (\(rows)) are not "
                + "a multiple of \(group.requested.name)'s block of \(group.requested.blockSize)"
        }
    }

    /// Bytes of all tensor data in the output (without header and padding).
    public var outputTensorBytes: Int { entries.reduce(0) { $0 + $1.outputByteCount } }
    /// Bytes of all tensor data in the input.
    public var inputTensorBytes: Int { entries.reduce(0) { $0 + $1.tensor.byteCount } }
    /// Values in all tensors.
    public var elementCount: Int { entries.reduce(0) { $0 + $1.tensor.elementCount } }
}
