import TernKernels

/// The `general.file_type` value (llama.cpp's `llama_ftype`, include/llama.h) that
/// names a file's main weight format: "mostly q4_0" and so on.
public enum LlamaFileType {
    /// Written for formats llama.cpp has no file type for (Tern-only formats):
    /// LLAMA_FTYPE_GUESSED, "not specified in the model file". llama.cpp only
    /// displays this value; `tern.quantize.type` names the actual format.
    public static let unspecified: UInt32 = 1024

    // llama.h of llama.cpp 0c1e57098, by ggml type name.
    private static let values: [String: UInt32] = [
        "f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "bf16": 32,
        "tq1_0": 36, "tq2_0": 37, "mxfp4": 38, "nvfp4": 39, "q1_0": 40, "q2_0": 41,
    ]

    /// llama.cpp's file type for a file mostly in `format`, or `unspecified`.
    public static func value(for format: WeightFormat) -> UInt32 {
        values[format.name] ?? unspecified
    }
}
