import Testing

@testable import Tern

/// llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0.cpp): every string
/// must encode to exactly the ids llama.cpp produces, without BOS/EOS and with special
/// tokens treated as text.
@Suite("Tokenizer matches llama.cpp's vocabulary test vectors")
struct LlamaCppVocabularyTests {
    @Test("every test string encodes to llama.cpp's ids", arguments: TokenizerFixtures.llamaCppVocabularies)
    func encodesLikeLlamaCpp(vocabulary: String) throws {
        let tokenizer = try TokenizerFixtures.llamaCppTokenizer(vocabulary)
        let cases = try TokenizerFixtures.llamaCppCases(vocabulary)
        #expect(cases.count == 46)
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: false)
            #expect(ids == testCase.ids, "\(vocabulary): \(testCase.text.debugDescription)")
        }
    }

    @Test("decoding the ids gives back the string", arguments: TokenizerFixtures.llamaCppVocabularies)
    func decodesBack(vocabulary: String) throws {
        let tokenizer = try TokenizerFixtures.llamaCppTokenizer(vocabulary)
        for testCase in try TokenizerFixtures.llamaCppCases(vocabulary) {
            #expect(tokenizer.decode(testCase.ids) == testCase.text, "\(vocabulary): \(testCase.text.debugDescription)")
            let ids = tokenizer.encode(testCase.text, addSpecial: false)
            #expect(tokenizer.decode(ids) == testCase.text)
        }
    }

    @Test("streaming the ids one by one yields whole characters that join to the string",
          arguments: TokenizerFixtures.llamaCppVocabularies)
    func streamsWholeCharacters(vocabulary: String) throws {
        let tokenizer = try TokenizerFixtures.llamaCppTokenizer(vocabulary)
        for testCase in try TokenizerFixtures.llamaCppCases(vocabulary) {
            var decoder = StreamingDecoder(tokenizer: tokenizer)
            var text = ""
            for id in testCase.ids {
                let chunk = decoder.append(id)
                #expect(!chunk.unicodeScalars.contains("\u{FFFD}"), "half a character in \(testCase.text.debugDescription)")
                text += chunk
            }
            text += decoder.flush()
            #expect(text == testCase.text)
        }
    }

    @Test("BOS, EOS and add-BOS come from the metadata and the pre-tokenizer's defaults")
    func specialTokenSettings() throws {
        let gpt2 = try TokenizerFixtures.llamaCppTokenizer("gpt-2")
        #expect(gpt2.vocabularySize == 50257)
        #expect(gpt2.bosToken == 50256 && gpt2.eosToken == 50256)
        #expect(!gpt2.addsBOS)
        #expect(gpt2.isEndOfGeneration(50256))
        #expect(gpt2.encode("Hello world") == [15496, 995])

        let llama3 = try TokenizerFixtures.llamaCppTokenizer("llama-bpe")
        #expect(llama3.bosToken == 128000 && llama3.eosToken == 128001)
        #expect(llama3.addsBOS)  // llama.cpp's default for Llama 3, the file has no add_bos_token
        #expect(llama3.encode("Hello world") == [128000, 9906, 1917])
        #expect(llama3.encode("Hello world", addSpecial: false) == [9906, 1917])
        #expect(llama3.encode("<|begin_of_text|>Hi", addSpecial: false) == [128000, 13347])
        #expect(llama3.isEndOfGeneration(128001))
        #expect(llama3.isEndOfGeneration(128009))  // <|eot_id|>, found by its text
        #expect(!llama3.isEndOfGeneration(128000))

        let qwen2 = try TokenizerFixtures.llamaCppTokenizer("qwen2")
        #expect(qwen2.tokenText(151645) == "<|im_end|>")
        #expect(qwen2.isEndOfGeneration(151645) && qwen2.isEndOfGeneration(151643))
        #expect(!qwen2.isEndOfGeneration(151644))
    }

    @Test("user-defined tokens are matched even when special parsing is off")
    func userDefinedTokens() throws {
        let qwen2 = try TokenizerFixtures.llamaCppTokenizer("qwen2")
        #expect(qwen2.tokenText(151646) == "[PAD151646]")
        #expect(qwen2.encode("a[PAD151646]", addSpecial: false, parseSpecial: false).last == 151646)
        #expect(!qwen2.encode("<|im_end|>", addSpecial: false, parseSpecial: false).contains(151645))
        #expect(qwen2.encode("<|im_end|>", addSpecial: false, parseSpecial: true) == [151645])
    }
}
