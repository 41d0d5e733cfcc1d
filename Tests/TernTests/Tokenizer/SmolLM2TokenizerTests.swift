import Testing

@testable import Tern

/// The default model's tokenizer (SmolLM2, pre-tokenizer `smollm`) against
/// `llama-tokenize` output. The model file is not a fixture: see
/// `TokenizerFixtures.smolLM2ModelPath()`; without it these tests fail.
@Suite("SmolLM2 tokenizer")
struct SmolLM2TokenizerTests {
    @Test("reference strings encode to llama.cpp's ids")
    func referenceStrings() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        let cases = try TokenizerFixtures.smolLM2Cases()
        #expect(cases.count == 3)
        for testCase in cases {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(testCase.text.debugDescription)")
            #expect(tokenizer.decode(testCase.ids) == testCase.text)
        }
    }

    @Test("metadata: 49152 tokens, BOS <|im_start|>, EOS <|im_end|>, no BOS added")
    func metadata() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.preTokenizerName == "smollm")
        #expect(tokenizer.bosToken == 1 && tokenizer.eosToken == 2)
        #expect(tokenizer.tokenText(1) == "<|im_start|>" && tokenizer.tokenText(2) == "<|im_end|>")
        #expect(!tokenizer.addsBOS)
        #expect(tokenizer.tokenText(-1) == "" && tokenizer.tokenText(49152) == "")
    }

    @Test("end of generation: <|im_end|>, <|endoftext|> and llama.cpp's <reponame>, nothing else")
    func endOfGeneration() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        let eog = (0..<tokenizer.vocabularySize).filter(tokenizer.isEndOfGeneration)
        #expect(eog == [0, 2, 4])
        #expect(!tokenizer.isEndOfGeneration(-5) && !tokenizer.isEndOfGeneration(1_000_000))
    }

    @Test("control tokens in the text are single tokens only when parsing specials")
    func controlTokens() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        let prompt = "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
        let parsed = tokenizer.encode(prompt)
        #expect(parsed.first == 1)
        #expect(parsed.filter { $0 == 1 }.count == 2 && parsed.filter { $0 == 2 }.count == 1)
        #expect(tokenizer.decode(parsed) == prompt)

        let literal = tokenizer.encode(prompt, parseSpecial: false)
        #expect(!literal.contains(1) && !literal.contains(2))
        #expect(tokenizer.decode(literal) == prompt)
        #expect(literal.count > parsed.count)
    }

    @Test("bytes of tokens: text for specials, raw bytes for byte-level tokens, empty out of range")
    func tokenBytes() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        #expect(tokenizer.bytes(of: 216) == [0x20])
        #expect(tokenizer.bytes(of: 905) == Array(" world".utf8))
        #expect(tokenizer.bytes(of: 142) == [0xC3])  // first half of "Ü"
        #expect(tokenizer.bytes(of: 2) == Array("<|im_end|>".utf8))
        #expect(tokenizer.bytes(of: -1).isEmpty && tokenizer.bytes(of: 49152).isEmpty)
        #expect(tokenizer.decode([504, 49152, -3, 3575]) == "The capital")
    }

    @Test("streaming the tricky string never emits half a character")
    func streamingTrickyString() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        let tricky = try #require(TokenizerFixtures.smolLM2Cases().last)
        #expect(tricky.text.hasSuffix("😀"))
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var chunks: [String] = []
        for id in tricky.ids { chunks.append(decoder.append(id)) }
        chunks.append(decoder.flush())
        #expect(chunks.allSatisfy { !$0.unicodeScalars.contains("\u{FFFD}") })
        #expect(chunks.joined() == tricky.text)
        // "Ü" is split over tokens 142 and 246, the emoji over 40303 (" " + 3 bytes) and 218.
        let index142 = try #require(tricky.ids.firstIndex(of: 142))
        #expect(chunks[index142] == "" && chunks[index142 + 1] == "Ü")
        #expect(chunks[chunks.count - 3] == " " && chunks[chunks.count - 2] == "😀" && chunks.last == "")
    }

    @Test("an unfinished character is released as U+FFFD by flush")
    func flushUnfinished() throws {
        let tokenizer = try TokenizerFixtures.smolLM2Tokenizer()
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        #expect(decoder.append(142) == "")
        #expect(decoder.flush() == "\u{FFFD}")
        #expect(decoder.append(504) == "The")
    }
}
