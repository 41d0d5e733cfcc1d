/// One turn of a conversation, as chat templates see it (`message.role`, `message.content`).
public struct ChatMessage: Sendable, Codable, Equatable {
    /// `system`, `user` or `assistant` (templates may accept others, such as `tool`).
    public var role: String
    public var content: String

    /// - Parameters:
    ///   - role: Who speaks: `system`, `user` or `assistant`.
    ///   - content: The text of the turn.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
