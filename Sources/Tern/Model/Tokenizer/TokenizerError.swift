/// What can be wrong with a model's tokenizer metadata. Every message names the file and says what to do.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// `tokenizer.ggml.model` is not one Tern implements (only "gpt2", byte-level BPE, for now).
    case unsupportedModel(path: String, model: String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer whose split rules Tern does not implement.
    case unknownPreTokenizer(path: String, name: String)
    /// A required key (token list, merges) is absent.
    case missingKey(path: String, key: String)
    /// A key is present but its value has the wrong type or length.
    case invalid(path: String, key: String, what: String)

    public var description: String {
        switch self {
        case let .unsupportedModel(path, model):
            "'\(path)': tokenizer model '\(model)' is not supported; Tern reads byte-level BPE ('gpt2') vocabularies. "
                + "Use a model whose GGUF has tokenizer.ggml.model = gpt2 (Llama 3, Qwen2, SmolLM, GPT-2 families)."
        case let .unknownPreTokenizer(path, name):
            "'\(path)': pre-tokenizer '\(name)' (tokenizer.ggml.pre) is not supported; Tern knows "
                + PreTokenizer.supportedNames.sorted().joined(separator: ", ")
                + ". Use a model with one of these, or open an issue naming the model."
        case let .missingKey(path, key):
            "'\(path)' lacks tokenizer metadata key '\(key)'. Re-convert the model with a current llama.cpp."
        case let .invalid(path, key, what):
            "'\(path)': tokenizer metadata key '\(key)' \(what). The file is corrupt or converted wrongly."
        }
    }
}
