/// What can be wrong with a model: its architecture, its tensors, or a request to it.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(path: String, architecture: String)
    case missingTensor(path: String, name: String)
    case wrongShape(path: String, tensor: String, expected: [Int], got: [Int])
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case invalidConfig(path: String, what: String)
    case promptTooLong(tokens: Int, contextSize: Int)
    case emptyPrompt

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(path, architecture):
            "'\(path)' is a '\(architecture)' model; Tern runs 'llama' architecture models (Llama, SmolLM, Mistral-style). Pass a supported GGUF with --model."
        case let .missingTensor(path, name):
            "'\(path)' lacks tensor '\(name)', which the llama architecture needs. The file is incomplete or was converted wrongly."
        case let .wrongShape(path, tensor, expected, got):
            "'\(path)': tensor '\(tensor)' has shape \(got) but the model's metadata implies \(expected). The file is corrupt or converted wrongly."
        case let .unsupportedTensorType(path, tensor, type):
            "'\(path)': tensor '\(tensor)' is \(type), which Tern cannot compute with yet (f32, f16, bf16, q8_0, q4_0, q4_1). Requantize the model, e.g. `tern quantize IN OUT --type q4_0`."
        case let .invalidConfig(path, what):
            "'\(path)': invalid model metadata: \(what). The file is corrupt or converted wrongly."
        case let .promptTooLong(tokens, contextSize):
            "the prompt is \(tokens) tokens but the context holds \(contextSize). Shorten the prompt or raise --ctx-size (up to the model's trained context)."
        case .emptyPrompt:
            "the prompt is empty. Give some text to continue."
        }
    }
}
