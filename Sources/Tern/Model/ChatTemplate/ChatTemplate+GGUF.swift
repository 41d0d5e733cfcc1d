extension ChatTemplate {
    /// GGUF metadata key holding a model's Jinja chat template.
    public static let ggufKey = "tokenizer.chat_template"

    /// The chat template stored in a GGUF model.
    ///
    /// - Parameter model: An opened GGUF file.
    /// - Returns: The parsed template, or nil when the model has none (use `ChatTemplate.chatml`).
    /// - Throws: `ChatTemplateError` when the stored template cannot be parsed or uses
    ///   constructs Tern does not support.
    public static func stored(in model: GGUFFile) throws(ChatTemplateError) -> ChatTemplate? {
        guard let source = model.string(ggufKey) else { return nil }
        return try ChatTemplate(source: source)
    }
}
