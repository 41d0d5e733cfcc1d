import TernKernels

/// What `tern quantize` should produce: the main type, the exceptions to it and how
/// many threads convert rows.
public struct QuantizationOptions: Sendable, Equatable {
    /// The type of every quantizable tensor unless a rule below says otherwise.
    public var type: WeightFormat
    /// The output head's type (`--output-type`); nil lets the plan choose.
    public var outputType: WeightFormat?
    /// The token embeddings' type (`--embedding-type`); nil lets the plan choose.
    public var embeddingType: WeightFormat?
    /// `--tensor-type` rules, in order; the first match wins.
    public var overrides: [TensorTypeOverride]
    /// Like llama-quantize `--pure`: no higher-precision choice for the embeddings
    /// and output head; only `type`, the explicit flags and the overrides apply.
    public var pure: Bool
    /// Threads converting rows, at least 1.
    public var threadCount: Int

    public init(
        type: WeightFormat, outputType: WeightFormat? = nil, embeddingType: WeightFormat? = nil,
        overrides: [TensorTypeOverride] = [], pure: Bool = false, threadCount: Int = 1
    ) {
        self.type = type
        self.outputType = outputType
        self.embeddingType = embeddingType
        self.overrides = overrides
        self.pure = pure
        self.threadCount = max(1, threadCount)
    }

    /// Every format a tensor can be converted to: all of Tern's weight formats except
    /// activation-only ones (q8_1 exists for the kernels' activations, not for files).
    public static var targetFormats: [WeightFormat] {
        WeightFormat.allCases.filter { $0 != .q8_1 }
    }

    /// The target format called `name` (case-insensitive).
    /// - Throws: `QuantizeError.unknownType` listing the valid names.
    public static func format(named name: String) throws(QuantizeError) -> WeightFormat {
        guard let format = WeightFormat(name: name), targetFormats.contains(format) else {
            throw .unknownType(name: name, valid: targetFormats.map(\.name))
        }
        return format
    }
}
