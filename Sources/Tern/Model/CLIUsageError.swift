/// Errors in what a user asked for, as opposed to what a file holds.
public enum CLIUsageError: Error, CustomStringConvertible {
    case unknownChatTemplate(String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .unknownChatTemplate(name):
            "unknown chat template '\(name)'. Built-in templates: chatml."
        case let .invalidOption(message):
            message
        }
    }
}
