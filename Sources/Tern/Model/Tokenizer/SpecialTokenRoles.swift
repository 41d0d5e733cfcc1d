/// Which tokens begin and end text, and which end a generation, following llama.cpp's
/// rules: ids from `tokenizer.ggml.*_token_id` keys, plus tokens recognised by their text
/// (converters do not always record `<|im_end|>` or `<|eot_id|>` as end-of-turn).
///
/// Recognised tokens are also marked `control`, as llama.cpp does, so that they are
/// matched as single tokens in text and rendered verbatim.
struct SpecialTokenRoles {
    var bos: Int?
    var eos: Int?
    var endOfGeneration: Set<Int> = []
    var attributes: [TokenAttributes]

    // Texts llama.cpp uses to find roles the metadata does not name.
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    static let fimTexts: [(key: String, texts: [String])] = [
        ("fim_pre", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"]),
        ("fim_suf", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"]),
        ("fim_mid", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"]),
        ("fim_pad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        ("fim_rep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        ("fim_sep", ["<|file_sep|>"]),
    ]
    static let endOfGenerationTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]
    /// gpt-oss tokens that llama.cpp always renders, whatever their stored type.
    static let alwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    init(gguf: GGUFFile, texts: [String], tokenIDs: TokenIndex, attributes: [TokenAttributes]) {
        self.attributes = attributes
        let count = texts.count
        func id(_ key: String, default fallback: Int? = nil) -> Int? {
            if let value = gguf.int("tokenizer.ggml.\(key)_token_id"), value >= 0, value < count { return value }
            return fallback.flatMap { $0 < count ? $0 : nil }
        }
        func find(_ candidates: [String]) -> Int? {
            for text in candidates { if let found = tokenIDs.id(of: text) { return Int(found) } }
            return nil
        }

        // 11 is llama.cpp's fallback for "gpt2" vocabularies whose file names no BOS or EOS.
        bos = id("bos", default: 11)
        eos = id("eos", default: 11)
        let endOfTurn = id("eot") ?? find(Self.endOfTurnTexts)
        let endOfMessage = id("eom") ?? find(["<|eom_id|>"])
        var fim: [String: Int] = [:]
        for (key, texts) in Self.fimTexts {
            if let found = id(key) ?? find(texts) { fim[key] = found }
        }
        if id("eot") == nil, let found = endOfTurn { markControl(found) }
        if id("eom") == nil, let found = endOfMessage { markControl(found) }
        for (key, texts) in Self.fimTexts where id(key) == nil {
            if let found = find(texts) { markControl(found) }
        }

        // Control tokens named "unused..." are placeholders.
        for index in 0..<count where attributes[index].containsAny(.control) && texts[index].contains("unused") {
            self.attributes[index].insert(.unused)
        }

        var eog = Set([fim["fim_pad"], fim["fim_rep"], fim["fim_sep"]].compactMap { $0 })
        for text in Self.endOfGenerationTexts {
            if let found = tokenIDs.id(of: text) {
                eog.insert(Int(found))
                markControl(Int(found))
            }
        }
        for text in Self.alwaysRenderedTexts {
            if let found = tokenIDs.id(of: text) { self.attributes[Int(found)] = .userDefined }
        }
        for role in [eos, endOfTurn, endOfMessage] {
            if let role { eog.insert(role) }
        }

        // gpt-oss and solar-open end a message with <|end|> but keep generating (tool calls).
        let eogTexts = Set(eog.map { texts[$0] })
        if eogTexts.contains("<|end|>"),
            (eogTexts.contains("<|return|>") && eogTexts.contains("<|call|>"))
                || (eogTexts.contains("<|calls|>") && eogTexts.contains("<|flush|>"))
        {
            for token in eog where texts[token] == "<|end|>" {
                eog.remove(token)
                self.attributes[token] = .userDefined
            }
        }
        // Gemma 4 and PLaMo-2 use </s> as a normal token.
        if eogTexts.contains("</s>"), eogTexts.contains("<|tool_response>") || eogTexts.contains("<|plamo:eos|>") {
            for token in eog where texts[token] == "</s>" {
                eog.remove(token)
                self.attributes[token] = .normal
            }
        }
        endOfGeneration = eog
    }

    private mutating func markControl(_ token: Int) {
        attributes[token].insert(.control)
    }
}
