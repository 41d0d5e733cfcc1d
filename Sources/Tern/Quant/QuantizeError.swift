/// What can stop `tern quantize`. Every message says what was wrong and what to do;
/// whichever case is thrown, the input is untouched and no output file is left behind.
public enum QuantizeError: Error, Equatable, CustomStringConvertible {
    /// A type name that is not a quantization target.
    case unknownType(name: String, valid: [String])
    /// A `--tensor-type` argument that is not `REGEX=TYPE` or whose regex does not compile.
    case invalidOverride(argument: String, reason: String)
    /// The input could not be opened or parsed as GGUF.
    case unreadableInput(path: String, reason: String)
    /// A tensor must be converted but Tern cannot decode its type.
    case unsupportedSourceType(tensor: String, type: String)
    /// The target type has no GGUF type id, so it cannot be written.
    case unwritableType(name: String)
    /// Input and output are the same file.
    case sameFile(path: String)
    /// The output path is a directory.
    case outputIsDirectory(path: String)
    /// Creating, writing or renaming the output failed (permissions, full disk, …).
    case cannotWrite(path: String, reason: String)
    /// The caller's progress handler asked to stop.
    case cancelled(output: String)

    public var description: String {
        switch self {
        case let .unknownType(name, valid):
            "unknown type '\(name)'. Valid types: \(valid.joined(separator: ", "))."
        case let .invalidOverride(argument, reason):
            "invalid --tensor-type '\(argument)': \(reason). Write it as REGEX=TYPE, e.g. 'ffn_down=q8_0'."
        case let .unreadableInput(path, reason):
            "cannot read input '\(path)': \(reason)"
        case let .unsupportedSourceType(tensor, type):
            "tensor '\(tensor)' is stored as \(type), which Tern cannot decode, so it cannot be converted. "
                + "Quantize from the model's f32, f16 or bf16 original instead."
        case let .unwritableType(name):
            "type '\(name)' has no GGUF type id, so Tern cannot write it to a file. Choose another --type."
        case let .sameFile(path):
            "the output '\(path)' is the input file. Write to a new path; the input is never overwritten."
        case let .outputIsDirectory(path):
            "the output '\(path)' is a directory. Give a file path, e.g. '\(path.hasSuffix("/") ? path : path + "/")model-q4_0.gguf'."
        case let .cannotWrite(path, reason):
            "cannot write '\(path)': \(reason). Check that the directory exists, is writable and has free space; "
                + "nothing was left behind."
        case let .cancelled(output):
            "quantization stopped before '\(output)' was complete; nothing was written."
        }
    }
}
