/// A byte-level BPE tokenizer (GPT-2, Llama 3, Qwen2, SmolLM families) read from a GGUF
/// file's `tokenizer.ggml.*` metadata, producing the same token ids as llama.cpp.
///
/// Encoding runs in three stages: special tokens written in the text (`<|im_start|>`)
/// are cut out first; the rest is split into words by the model's pre-tokenizer rules;
/// each word's bytes are merged by BPE rank.
public struct Tokenizer: Sendable {
    /// Number of tokens in the vocabulary (ids are `0..<vocabularySize`).
    public var vocabularySize: Int { texts.count }
    /// The beginning-of-sequence token, or nil if the model has none.
    public let bosToken: Int?
    /// The end-of-sequence token, or nil if the model has none.
    public let eosToken: Int?
    /// Whether `encode(_:addSpecial: true)` starts with BOS (`tokenizer.ggml.add_bos_token`; SmolLM2: false).
    public let addsBOS: Bool
    /// Whether `encode(_:addSpecial: true)` ends with EOS (`tokenizer.ggml.add_eos_token`).
    public let addsEOS: Bool
    /// The `tokenizer.ggml.pre` name this tokenizer splits words by.
    public var preTokenizerName: String { preTokenizer.name }

    let texts: [String]
    let attributes: [TokenAttributes]
    let tokenIDs: TokenIndex
    let preTokenizer: PreTokenizer
    let merges: BPEMerges
    let pieces: TokenPieces
    let endOfGeneration: Set<Int>
    let specialTokens: SpecialTokenMatcher

    /// Reads the vocabulary, merges and special tokens from `gguf`'s metadata.
    /// - Throws: `TokenizerError` when the tokenizer is not byte-level BPE, its
    ///   pre-tokenizer is unknown, or its metadata is missing or malformed.
    public init(gguf: GGUFFile) throws(TokenizerError) {
        let path = gguf.path
        let model = gguf.string("tokenizer.ggml.model")
        guard model == "gpt2" else { throw .unsupportedModel(path: path, model: model ?? "(missing)") }
        let preName = gguf.string("tokenizer.ggml.pre") ?? ""
        guard let preTokenizer = PreTokenizer(name: preName) else {
            throw .unknownPreTokenizer(path: path, name: preName.isEmpty ? "(missing)" : preName)
        }
        self.preTokenizer = preTokenizer

        var texts = try Self.strings(gguf, "tokenizer.ggml.tokens")
        guard !texts.isEmpty, texts.count < Int(Int32.max) / 2 else {
            throw .invalid(path: path, key: "tokenizer.ggml.tokens", what: "holds \(texts.count) tokens")
        }
        let mergeList = try Self.strings(gguf, "tokenizer.ggml.merges")
        let types: [Int]
        do {
            types = try gguf.intArray("tokenizer.ggml.token_type") ?? Array(repeating: 1, count: texts.count)
        } catch {
            throw .invalid(path: path, key: "tokenizer.ggml.token_type", what: "is not an array of integers")
        }
        guard types.count >= texts.count else {
            throw .invalid(
                path: path, key: "tokenizer.ggml.token_type", what: "has \(types.count) entries for \(texts.count) tokens")
        }

        var tokenIDs = TokenIndex(capacity: texts.count)
        for index in texts.indices {
            if texts[index].isEmpty { texts[index] = "[EMPTY_\(index)]" }  // as llama.cpp names them
            tokenIDs.insert(texts[index], id: Int32(index))  // a repeated text maps to its last id
        }
        let roles = SpecialTokenRoles(
            gguf: gguf, texts: texts, tokenIDs: tokenIDs,
            attributes: types.prefix(texts.count).map(TokenAttributes.init(ggufTokenType:)))

        self.texts = texts
        self.tokenIDs = tokenIDs
        attributes = roles.attributes
        bosToken = roles.bos
        eosToken = roles.eos
        endOfGeneration = roles.endOfGeneration
        addsBOS = gguf.bool("tokenizer.ggml.add_bos_token") ?? preTokenizer.addsBOSByDefault
        addsEOS = gguf.bool("tokenizer.ggml.add_eos_token") ?? false
        merges = BPEMerges(tokens: tokenIDs, vocabularySize: texts.count, mergeList: mergeList)
        pieces = TokenPieces(texts: texts, attributes: roles.attributes)
        specialTokens = SpecialTokenMatcher(texts: texts, attributes: roles.attributes)
    }

    private static func strings(_ gguf: GGUFFile, _ key: String) throws(TokenizerError) -> [String] {
        let value: [String]?
        do {
            value = try gguf.stringArray(key)
        } catch {
            throw .invalid(path: gguf.path, key: key, what: "is not an array of strings")
        }
        guard let value else { throw .missingKey(path: gguf.path, key: key) }
        return value
    }

    /// Whether generating `token` ends the turn: EOS, end-of-turn and end-of-message
    /// tokens, and control tokens such as `<|im_end|>`, `<|endoftext|>`, `<|eot_id|>`, `</s>`.
    public func isEndOfGeneration(_ token: Int) -> Bool {
        endOfGeneration.contains(token)
    }

    /// The token's text as stored in the vocabulary (byte-level spelling for ordinary
    /// tokens, e.g. `Ġthe`; verbatim for special tokens such as `<|im_start|>`).
    /// Empty for an id outside the vocabulary.
    public func tokenText(_ token: Int) -> String {
        texts.indices.contains(token) ? texts[token] : ""
    }

    /// The raw bytes `token` stands for (special tokens: their text). Empty for an id
    /// outside the vocabulary or an unused token.
    public func bytes(of token: Int) -> [UInt8] {
        Array(pieces[token])
    }

    /// The text of `tokens`, special tokens written as their text. Bytes that do not
    /// form valid UTF-8 (a character cut off at the end) become U+FFFD.
    public func decode(_ tokens: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count * 4)
        for token in tokens { bytes.append(contentsOf: pieces[token]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
