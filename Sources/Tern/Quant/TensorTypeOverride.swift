import TernKernels

/// A `--tensor-type REGEX=TYPE` rule: tensors whose name contains a match of
/// `pattern` get `format` (as llama-quantize's `--tensor-type`, a search, not a
/// whole-name match: anchor with `^…$` for exact names). The first matching rule wins.
public struct TensorTypeOverride: Sendable, Equatable, CustomStringConvertible {
    /// The regular expression, in Swift `Regex` syntax (close to ECMAScript's).
    public let pattern: String
    public let format: WeightFormat

    /// `REGEX=TYPE`, as given on the command line and recorded in the output's metadata.
    public var description: String { "\(pattern)=\(format.name)" }

    /// A rule for `pattern` and `format`.
    /// - Throws: `QuantizeError.invalidOverride` when `pattern` is empty or does not compile.
    public init(pattern: String, format: WeightFormat) throws(QuantizeError) {
        guard !pattern.isEmpty else {
            throw .invalidOverride(argument: "=\(format.name)", reason: "the pattern before '=' is empty")
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw .invalidOverride(argument: "\(pattern)=\(format.name)", reason: "the pattern does not compile (\(error))")
        }
        self.pattern = pattern
        self.format = format
    }

    /// Parses `REGEX=TYPE`; the last `=` separates them, so a pattern may contain `=`.
    /// - Throws: `QuantizeError.invalidOverride` for a missing `=` or a bad pattern,
    ///   `QuantizeError.unknownType` for a type that is not a quantization target.
    public init(parsing argument: String) throws(QuantizeError) {
        guard let equals = argument.lastIndex(of: "=") else {
            throw .invalidOverride(argument: argument, reason: "there is no '=' between the pattern and the type")
        }
        let typeName = String(argument[argument.index(after: equals)...])
        let format = try QuantizationOptions.format(named: typeName)
        try self.init(pattern: String(argument[..<equals]), format: format)
    }

    /// The compiled pattern. It compiled in `init`, so this cannot fail.
    func compiled() -> Regex<AnyRegexOutput>? {
        try? Regex(pattern)
    }
}
