/// A model's chat template (the Jinja text in GGUF `tokenizer.chat_template`), parsed once and
/// rendered into the prompt text for a conversation.
///
/// Rendering follows Hugging Face transformers' `apply_chat_template`, which the templates are
/// written for: `trim_blocks` and `lstrip_blocks` on, `raise_exception` and `strftime_now`
/// available, `tojson` keeping key order and non-ASCII text, and the variables `messages`,
/// `add_generation_prompt`, `bos_token`, `eos_token`, `tools` (none) and `documents` (none).
public struct ChatTemplate: Sendable {
    /// The template text this was parsed from.
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses a template.
    ///
    /// - Parameter source: Jinja template text, such as the GGUF key `tokenizer.chat_template`.
    /// - Throws: `ChatTemplateError.syntax` if the text is not valid Jinja, or `.unsupported`
    ///   naming a construct and line that Tern's template engine does not implement.
    public init(source: String) throws(ChatTemplateError) {
        self.source = source
        nodes = try JinjaParser.parse(source)
    }

    private init(source: String, nodes: [JinjaNode]) {
        self.source = source
        self.nodes = nodes
    }

    /// The ChatML format (`<|im_start|>role\ncontent<|im_end|>\n` per message, then
    /// `<|im_start|>assistant\n` when a reply is wanted), used when a model has no usable template.
    public static let chatml: ChatTemplate = {
        let source = """
            {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
            """
        // The source is a constant that the test suite renders; parsing it cannot fail.
        let nodes = (try? JinjaParser.parse(source)) ?? []
        return ChatTemplate(source: source, nodes: nodes)
    }()

    /// Built-in templates by name, for `--chat-template NAME`.
    ///
    /// - Parameter name: `chatml` (case-insensitive).
    /// - Returns: The template, or nil for an unknown name.
    public static func named(_ name: String) -> ChatTemplate? {
        switch name.lowercased() {
        case "chatml": chatml
        default: nil
        }
    }

    /// Names accepted by `named(_:)`.
    public static let builtInNames = ["chatml"]

    /// Renders a conversation into prompt text.
    ///
    /// - Parameters:
    ///   - messages: The conversation so far, oldest first.
    ///   - addGenerationPrompt: Whether to end with the header that starts the assistant's reply.
    ///   - bosToken: Text of the model's beginning-of-sequence token; templates that print it
    ///     expect the tokenizer not to add another.
    ///   - eosToken: Text of the model's end-of-sequence token.
    /// - Throws: `ChatTemplateError.raised` with the template's own message when it rejects the
    ///   conversation, `.runtime` or `.unsupported` when evaluation fails.
    public func render(
        messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "", eosToken: String = ""
    ) throws(ChatTemplateError) -> String {
        let messageValues: [JinjaValue] = messages.map {
            .dict(JinjaDict([("role", .string($0.role)), ("content", .string($0.content))]))
        }
        return try render(variables: [
            "messages": .list(messageValues),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": .none,
            "documents": .none,
        ])
    }

    /// Renders with arbitrary variables and step budget (for tests of the template language).
    func render(
        variables: [String: JinjaValue], maximumSteps: Int = JinjaInterpreter.defaultMaximumSteps
    ) throws(ChatTemplateError) -> String {
        var interpreter = JinjaInterpreter(variables: variables, maximumSteps: maximumSteps)
        do {
            return try interpreter.render(nodes)
        } catch {
            throw error.publicError
        }
    }
}
