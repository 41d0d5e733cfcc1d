import Foundation
import Testing

@testable import Tern

/// Vocabularies and golden token ids for the tokenizer tests, loaded once per run.
enum TokenizerFixtures {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let ids: [Int]
        var testDescription: String { text.debugDescription }
    }

    static var directory: URL {
        get throws {
            guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw FixtureError("the TernTests bundle has no Fixtures folder")
            }
            return root.appendingPathComponent("tokenizer")
        }
    }

    /// llama.cpp's own vocabulary test files (models/ggml-vocab-*.gguf with .inp/.out).
    static let llamaCppVocabularies = ["gpt-2", "llama-bpe", "qwen2"]

    static func llamaCppTokenizer(_ name: String) throws -> Tokenizer {
        switch name {
        case "gpt-2": try gpt2.get()
        case "llama-bpe": try llamaBPE.get()
        case "qwen2": try qwen2.get()
        default: throw FixtureError("no fixture vocabulary \(name)")
        }
    }

    private static let gpt2 = Result { try load("gpt-2") }
    private static let llamaBPE = Result { try load("llama-bpe") }
    private static let qwen2 = Result { try load("qwen2") }

    private static func load(_ name: String) throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(path: LlamaCppFixtures.vocabulary(name)))
    }

    /// The test strings of `ggml-vocab-<name>.gguf.inp` with the ids of the matching `.out` line
    /// (strings separated by a line `__ggml_vocab_test__`; ids space-separated).
    static func llamaCppCases(_ name: String) throws -> [Case] {
        let base = try directory.appendingPathComponent("ggml-vocab-\(name).gguf")
        let input = try String(decoding: Data(contentsOf: base.appendingPathExtension("inp")), as: UTF8.self)
        let output = try String(decoding: Data(contentsOf: base.appendingPathExtension("out")), as: UTF8.self)
        var texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }  // the file ends with a separator
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard texts.count == lines.count else {
            throw FixtureError("\(name): \(texts.count) strings but \(lines.count) id lines")
        }
        return zip(texts, lines).map { text, line in
            Case(text: text, ids: line.split(separator: " ").compactMap { Int($0) })
        }
    }

    /// The strings and ids in `tokens-smollm2.txt` (llama-tokenize output on the default model).
    /// Each block is a header `=== name: '<text with \n and \t escaped>'` and a line `[id, id, ...]`.
    static func smolLM2Cases() throws -> [Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokens-smollm2.txt"))
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var cases: [Case] = []
        for (index, line) in lines.enumerated() where line.starts(with: Array("=== ".utf8)) {
            let header = String(decoding: line, as: UTF8.self)
            guard let open = header.firstIndex(of: "'"), let close = header.lastIndex(of: "'"), open < close,
                index + 1 < lines.count
            else { throw FixtureError("malformed header: \(header)") }
            let text = unescape(String(header[header.index(after: open)..<close]))
            let idLine = String(decoding: lines[index + 1], as: UTF8.self)
            let ids = idLine.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            cases.append(Case(text: text, ids: ids))
        }
        return cases
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static let smolLM2 = Result { () throws -> Tokenizer in
        try Tokenizer(gguf: GGUFFile(path: TestModel.path()))
    }

    /// The default model's tokenizer; throws (failing the test) if the model file is absent.
    static func smolLM2Tokenizer() throws -> Tokenizer { try smolLM2.get() }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
