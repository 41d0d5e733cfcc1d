/// What can be wrong with a GGUF file. Every message names the file and says what to do.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    /// A count, length or offset points past the end of the file.
    case truncated(path: String, offset: Int, needed: Int, what: String)
    case invalid(path: String, what: String)
    case unknownValueType(path: String, key: String, type: UInt32)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case missingKey(path: String, key: String)
    case wrongValueType(path: String, key: String, expected: String)
    case cannotWrite(path: String, reason: String)
    /// The writer was given something a GGUF file cannot hold (a caller's bug, not the disk's).
    case cannotEncode(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            "cannot open model file '\(path)': \(reason). Check the path, or pass --model PATH to a GGUF file."
        case let .notGGUF(path):
            "'\(path)' is not a GGUF file (its first bytes are not 'GGUF'). Pass a .gguf model file."
        case let .unsupportedVersion(path, version) where (1...3).contains(version.byteSwapped):
            "'\(path)' is a big-endian GGUF file (version \(version.byteSwapped)); Tern reads little-endian files only. Use the little-endian release of the model."
        case let .unsupportedVersion(path, version):
            "'\(path)' is GGUF version \(version); Tern reads versions 2 and 3. Re-convert the model with a current llama.cpp."
        case let .truncated(path, offset, needed, what):
            "'\(path)' is truncated or corrupt: \(what) at byte \(offset) needs \(needed) bytes, but the file ends before that. Download the file again."
        case let .invalid(path, what):
            "'\(path)' is corrupt: \(what). Download or convert the file again."
        case let .unknownValueType(path, key, type):
            "'\(path)': metadata key '\(key)' has unknown value type \(type); the file is corrupt or from a newer GGUF version."
        case let .unknownTensorType(path, tensor, type):
            "'\(path)': tensor '\(tensor)' has unknown ggml type \(type); the file is corrupt or from a newer llama.cpp. Download the file again or re-convert it with the llama.cpp version Tern supports."
        case let .missingKey(path, key):
            "'\(path)' lacks metadata key '\(key)', which this model needs. Re-convert the model with a current llama.cpp."
        case let .wrongValueType(path, key, expected):
            "'\(path)': metadata key '\(key)' should be \(expected). The file is corrupt or converted wrongly."
        case let .cannotWrite(path, reason):
            "cannot write '\(path)': \(reason). Check the directory exists, is writable and has free space."
        case let .cannotEncode(path, reason):
            "cannot write GGUF file '\(path)': \(reason). Nothing was written; this is a bug in the program that built the file, please report it."
        }
    }
}
