/// A model file opened for generation: the mapped file, the model, its tokenizer
/// and its chat template source.
public struct LoadedModel: Sendable {
    public let file: GGUFFile
    public let model: LlamaModel
    public let tokenizer: Tokenizer

    /// The GGUF's own chat template (`tokenizer.chat_template`), if it has one.
    public var chatTemplateSource: String? { file.string("tokenizer.chat_template") }

    /// Opens and validates the model at `path`. Errors are `GGUFError`, `ModelError` or `TokenizerError`.
    public init(path: String) throws {
        file = try GGUFFile(path: path)
        model = try LlamaModel(file: file)
        tokenizer = try Tokenizer(gguf: file)
        guard tokenizer.vocabularySize <= model.config.vocabularySize else {
            throw ModelError.invalidConfig(
                path: path,
                what: "the tokenizer has \(tokenizer.vocabularySize) tokens but the model's vocabulary is \(model.config.vocabularySize)")
        }
    }

    /// The chat template to use: `name` when given (e.g. "chatml"), else the model's own, else ChatML.
    public func chatTemplate(named name: String?) throws -> ChatTemplate {
        if let name {
            guard let template = ChatTemplate.named(name) else { throw CLIUsageError.unknownChatTemplate(name) }
            return template
        }
        guard let source = chatTemplateSource else { return .chatml }
        return try ChatTemplate(source: source)
    }
}
