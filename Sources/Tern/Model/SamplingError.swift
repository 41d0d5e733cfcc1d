/// What can be wrong with sampling parameters. Every message names the field, the value given
/// and the range that is allowed.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// `field` is `value`, which is outside `allowed` (written like "(0, 1]" or "≥ 0").
    case outOfRange(field: String, value: String, allowed: String)
    /// The stop string at `index` is empty, which would stop before the first token.
    case emptyStopString(index: Int)

    public var description: String {
        switch self {
        case let .outOfRange(field, value, allowed):
            "sampling parameter '\(field)' is \(value), but it must be \(allowed). Pass a value in that range or leave it out for the default."
        case let .emptyStopString(index):
            "stop string #\(index) is empty; an empty stop string would end generation immediately. Remove it from 'stop'."
        }
    }
}
