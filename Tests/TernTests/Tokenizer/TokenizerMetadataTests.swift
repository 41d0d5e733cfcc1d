import Foundation
import Testing

@testable import Tern

/// Tokenizers built from small hand-written GGUF files: what is rejected, and how a
/// tiny vocabulary merges.
@Suite("Tokenizer metadata")
struct TokenizerMetadataTests {
    /// A tokenizer-only GGUF (version 3, no tensors) with `metadata` in order.
    private static func writeGGUF(_ metadata: [(String, TinyValue)]) throws -> GGUFFile {
        var bytes: [UInt8] = Array("GGUF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func appendString(_ text: String) {
            append(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        append(UInt32(3))
        append(UInt64(0))
        append(UInt64(metadata.count))
        for (key, value) in metadata {
            appendString(key)
            switch value {
            case let .string(text):
                append(UInt32(8))
                appendString(text)
            case let .strings(texts):
                append(UInt32(9))
                append(UInt32(8))
                append(UInt64(texts.count))
                texts.forEach(appendString)
            case let .ints(values):
                append(UInt32(9))
                append(UInt32(5))
                append(UInt64(values.count))
                values.forEach { append(Int32($0)) }
            case let .uint(value):
                append(UInt32(4))
                append(UInt32(value))
            case let .bool(flag):
                append(UInt32(7))
                bytes.append(flag ? 1 : 0)
            }
        }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tern-tokenizer-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(path: url.path)
    }

    private enum TinyValue {
        case string(String), strings([String]), ints([Int]), uint(Int), bool(Bool)
    }

    /// Bytes a, b, c, space (as "Ġ"), merges "a b" → "ab", "ab c" → "abc", "Ġ ab" → "Ġab".
    private static func tinyMetadata(pre: String = "gpt-2", model: String = "gpt2") -> [(String, TinyValue)] {
        [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .strings(["<|end|>", "a", "b", "c", "Ġ", "ab", "abc", "Ġab"])),
            ("tokenizer.ggml.token_type", .ints([3, 1, 1, 1, 1, 1, 1, 1])),
            ("tokenizer.ggml.merges", .strings(["a b", "ab c", "Ġ ab"])),
            ("tokenizer.ggml.eos_token_id", .uint(0)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
        ]
    }

    @Test("a tiny vocabulary merges by rank and falls back to single bytes")
    func tinyVocabulary() throws {
        let tokenizer = try Tokenizer(gguf: Self.writeGGUF(Self.tinyMetadata()))
        #expect(tokenizer.vocabularySize == 8)
        #expect(tokenizer.encode("abc ab ba") == [6, 7, 4, 2, 1])
        #expect(tokenizer.encode("abc<|end|>") == [6, 0])
        #expect(tokenizer.decode([6, 7, 0]) == "abc ab<|end|>")
        #expect(tokenizer.eosToken == 0 && tokenizer.isEndOfGeneration(0))
        #expect(tokenizer.bosToken == nil)  // llama.cpp's default id 11 is outside this vocabulary
    }

    @Test("an unknown pre-tokenizer is a clear error naming it")
    func unknownPreTokenizer() throws {
        let gguf = try Self.writeGGUF(Self.tinyMetadata(pre: "mystery-bpe"))
        #expect(throws: TokenizerError.unknownPreTokenizer(path: gguf.path, name: "mystery-bpe")) {
            try Tokenizer(gguf: gguf)
        }
        let error = TokenizerError.unknownPreTokenizer(path: gguf.path, name: "mystery-bpe")
        #expect(error.description.contains("mystery-bpe") && error.description.contains("smollm"))
    }

    @Test("a tokenizer model other than byte-level BPE is rejected")
    func unsupportedModel() throws {
        let gguf = try Self.writeGGUF(Self.tinyMetadata(model: "llama"))
        #expect(throws: TokenizerError.unsupportedModel(path: gguf.path, model: "llama")) {
            try Tokenizer(gguf: gguf)
        }
    }

    @Test("missing merges and short token types are errors, not crashes")
    func malformedMetadata() throws {
        let withoutMerges = try Self.writeGGUF(Self.tinyMetadata().filter { $0.0 != "tokenizer.ggml.merges" })
        #expect(throws: TokenizerError.missingKey(path: withoutMerges.path, key: "tokenizer.ggml.merges")) {
            try Tokenizer(gguf: withoutMerges)
        }
        let shortTypes = try Self.writeGGUF(
            Self.tinyMetadata().map { $0.0 == "tokenizer.ggml.token_type" ? ($0.0, .ints([1, 1])) : $0 })
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: shortTypes) }
    }
}
