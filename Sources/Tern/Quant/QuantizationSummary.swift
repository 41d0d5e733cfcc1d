import Foundation

/// What a quantization run produced, for the CLI's last line and for tests.
public struct QuantizationSummary: Sendable {
    public let plan: QuantizationPlan
    /// Size of the input file in bytes.
    public let inputFileBytes: Int
    /// Size of the output file in bytes.
    public let outputFileBytes: Int
    public let seconds: Double

    /// Tensors whose bytes were converted.
    public var convertedCount: Int { plan.entries.count { !$0.isCopy } }
    /// Tensors copied unchanged.
    public var copiedCount: Int { plan.entries.count { $0.isCopy } }

    /// Bits per weight of the output's tensor data (as llama-quantize's "BPW").
    public var bitsPerWeight: Double {
        plan.elementCount > 0 ? Double(plan.outputTensorBytes * 8) / Double(plan.elementCount) : 0
    }

    /// `98.4 MB → 144.8 MB, 8.51 bits/weight, 210 tensors converted, 62 copied, 1.2 s`.
    public var line: String {
        String(
            format: "%.1f MB → %.1f MB, %.2f bits/weight, %d tensors converted, %d copied, %.1f s",
            Double(inputFileBytes) / 1e6, Double(outputFileBytes) / 1e6, bitsPerWeight, convertedCount, copiedCount,
            seconds)
    }
}
