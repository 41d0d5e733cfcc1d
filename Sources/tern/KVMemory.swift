import Foundation
import Tern

/// The `--kv-memory` flag: a size in bytes with a unit (`2GiB`, `512MiB`, `1.5GB`) or a
/// plain number of token positions (`65536`).
enum KVMemory: Equatable {
    case bytes(Int)
    case tokens(Int)

    init(parsing text: String) throws(CLIUsageError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [
            ("KiB", 0x1p10), ("MiB", 0x1p20), ("GiB", 0x1p30), ("TiB", 0x1p40),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("K", 0x1p10), ("M", 0x1p20), ("G", 0x1p30),
        ]
        if let n = Int(trimmed), n > 0 {
            self = .tokens(n)
            return
        }
        for (suffix, scale) in units where trimmed.lowercased().hasSuffix(suffix.lowercased()) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            if let value = Double(number), value > 0, value * scale < Double(Int.max / 2) {
                self = .bytes(Int(value * scale))
                return
            }
        }
        throw .invalidOption(
            "--kv-memory '\(text)' is neither a size (like 2GiB, 512MiB, 1.5GB) nor a positive number of tokens.")
    }

    /// Token positions this much KV memory holds for `config`.
    func tokens(config: ModelConfig) -> Int {
        switch self {
        case let .tokens(n): n
        case let .bytes(b): EngineConfiguration.tokens(inBytes: b, config: config)
        }
    }
}
