import TernKernels

/// What a model costs in memory and in memory traffic, for benchmark reports.
public struct ModelFootprint: Sendable, Equatable {
    /// Bytes of all tensors in the file (llama-bench's `model_size`).
    public let fileBytes: Int
    /// Elements of all tensors in the file (llama-bench's `model_n_params`).
    public let parameterCount: Int
    /// Bytes of weights one decode step reads: every layer matrix and norm, the output
    /// head, and one row of the token embedding.
    public let weightBytesPerToken: Int
    /// The file's format holding most of the layer matrices' elements (`q4_1`), as
    /// llama-bench reports the file type: `tq2_0` even when the matrices were repacked
    /// to `t2_64r` at load.
    public let dominantFormat: WeightFormat
    /// The format the file says it is mostly in (`tern.quantize.type`, else
    /// `general.file_type`), else `dominantFormat`: llama-bench's file type. A file
    /// quantized to tq2_0 whose 576-wide rows fell back to q4_0 is still `tq2_0`.
    public let fileType: WeightFormat

    public init(model: LlamaModel) {
        let w = model.weights
        fileBytes = w.file.tensors.reduce(0) { $0 + $1.byteCount }
        parameterCount = w.file.tensors.reduce(0) { $0 + $1.elementCount }

        let matrices = w.layers.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] }
        let norms = w.layers.reduce(w.outputNorm.count) { $0 + $1.attentionNorm.count + $1.ffnNorm.count }
        weightBytesPerToken = matrices.reduce(0) { $0 + $1.rows * $1.rowBytes }
            + w.output.rows * w.output.rowBytes + w.tokenEmbedding.rowBytes + norms * MemoryLayout<Float>.size

        var elements: [WeightFormat: Int] = [:]
        for m in matrices { elements[m.fileFormat, default: 0] += m.rows * m.columns }
        dominantFormat = elements.max { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue < $1.key.rawValue) }?.key
            ?? w.output.fileFormat
        fileType = Self.declaredType(of: w.file) ?? dominantFormat
    }

    /// llama-bench's model column: architecture, parameter count, format (`llama 135M Q4_1`).
    public func typeName(architecture: String) -> String {
        "\(architecture) \(Self.roundedCount(parameterCount)) \(fileType.name.uppercased())"
    }

    /// The main format `file`'s metadata names, or nil when it names none Tern knows.
    static func declaredType(of file: GGUFFile) -> WeightFormat? {
        if let name = file.string("tern.quantize.type"), let format = WeightFormat(name: name) { return format }
        guard let value = file.int("general.file_type"), value != Int(LlamaFileType.unspecified) else { return nil }
        return WeightFormat.allCases.first { Int(LlamaFileType.value(for: $0)) == value }
    }

    /// A count with a unit suffix, to two or three significant digits: `135M`, `1.2B`.
    static func roundedCount(_ n: Int) -> String {
        let value = Double(n)
        let (scaled, unit) = value >= 1e9 ? (value / 1e9, "B") : value >= 1e6 ? (value / 1e6, "M") : (value / 1e3, "K")
        return scaled >= 10 ? "\(Int(scaled.rounded()))\(unit)" : "\((scaled * 10).rounded() / 10)\(unit)"
    }
}
