/// How far a quantization run has come, reported after each tensor and each slab of rows.
public struct QuantizationProgress: Sendable, Equatable {
    /// Tensors completely written.
    public let tensorsDone: Int
    public let tensorCount: Int
    /// The tensor being written (or just finished).
    public let tensorName: String
    /// Values written so far, over all tensors: the fair measure of work done.
    public let elementsDone: Int
    public let elementCount: Int

    /// Fraction done, 0 to 1.
    public var fraction: Double { elementCount > 0 ? Double(elementsDone) / Double(elementCount) : 1 }
}
