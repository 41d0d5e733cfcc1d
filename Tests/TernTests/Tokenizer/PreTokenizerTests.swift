import Testing

@testable import Tern

/// Word boundaries of each pre-tokenizer rule set, on strings that tell them apart.
@Suite("Pre-tokenizer word splits")
struct PreTokenizerTests {
    private func words(_ text: String, _ name: String) throws -> [String] {
        let pre = try #require(PreTokenizer(name: name))
        let codepoints = text.unicodeScalars.map(\.value)
        var start = 0
        return pre.wordEnds(of: codepoints).map { end in
            defer { start = end }
            return String(String.UnicodeScalarView(codepoints[start..<end].compactMap(Unicode.Scalar.init)))
        }
    }

    @Test("GPT-2: optional space leads a run; the last of several spaces leads the next word")
    func gpt2() throws {
        #expect(try words("Hello,  world's 42!!\n", "gpt-2") == ["Hello", ",", " ", " world", "'s", " 42", "!!", "\n"])
    }

    @Test("SmolLM: every digit alone, the rest as GPT-2")
    func smollm() throws {
        #expect(try words("abc 123x", "smollm") == ["abc", " ", "1", "2", "3", "x"])
        #expect(try words("café ½", "smollm") == ["café", " ", "½"])
        // Spaces before a digit end their piece, so they stay together (GPT-2 gives "  ", " 1").
        #expect(try words("a   1", "smollm") == ["a", "   ", "1"])
        #expect(try words("a   1", "gpt-2") == ["a", "  ", " 1"])
    }

    @Test("Llama 3: digits in threes, case-insensitive contractions, newline runs kept together")
    func llama3() throws {
        #expect(try words("1234567 I'M", "llama-bpe") == ["123", "456", "7", " I", "'M"])
        #expect(try words("a\n\n  b", "llama-bpe") == ["a", "\n\n", " ", " b"])
        #expect(try words("(x)", "llama-bpe") == ["(x", ")"])
    }

    @Test("Qwen2: like Llama 3 but one digit per word")
    func qwen2() throws {
        #expect(try words("x 123", "qwen2") == ["x", " ", "1", "2", "3"])
    }

    @Test("unknown names are not guessed")
    func unknownName() {
        #expect(PreTokenizer(name: "default") == nil)
        #expect(PreTokenizer(name: "") == nil)
    }
}
