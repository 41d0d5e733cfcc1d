/// How a byte-level BPE model cuts text into words before merging: merges never cross
/// a word boundary.
///
/// Each model family describes its cut with a regular expression in tokenizer.json.
/// llama.cpp runs hand-written equivalents of those expressions, which differ from a
/// regex engine in small corners (for instance how a lone space at the end of a piece is
/// matched); token ids must match llama.cpp's, so `WordSplitter` follows those
/// hand-written rules rather than the regexes.
struct PreTokenizer: Sendable, Equatable {
    enum Rules: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
        case gpt2
        /// Every `\p{N}` code point is a piece of its own, then `gpt2` within each piece.
        case smollm
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        case llama3
        /// As `llama3` but `\p{N}` (one digit per word) instead of `\p{N}{1,3}`.
        case qwen2
    }

    let name: String
    let rules: Rules
    /// A whole word that is itself a token is taken as is, without merging (llama.cpp's `ignore_merges`).
    let ignoresMerges: Bool
    /// Whether BOS is added when the file has no `tokenizer.ggml.add_bos_token`.
    let addsBOSByDefault: Bool

    /// The pre-tokenizer that `tokenizer.ggml.pre` = `name` selects, or nil if Tern lacks it.
    init?(name: String) {
        self.name = name
        switch name {
        case "gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4", "gigachat",
            "a.x-4.0", "mellum":
            (rules, ignoresMerges, addsBOSByDefault) = (.gpt2, false, false)
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2":
            (rules, ignoresMerges, addsBOSByDefault) = (.smollm, false, false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            (rules, ignoresMerges, addsBOSByDefault) = (.llama3, true, true)
        case "dbrx", "smaug-bpe":
            (rules, ignoresMerges, addsBOSByDefault) = (.llama3, false, false)
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open":
            (rules, ignoresMerges, addsBOSByDefault) = (.qwen2, false, false)
        default:
            return nil
        }
    }

    static let supportedNames: [String] = [
        "gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4", "gigachat", "a.x-4.0",
        "mellum", "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2",
        "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
        "dbrx", "smaug-bpe", "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
        "solar-open",
    ]

    /// Cuts `codepoints` into words and returns the end index of each word, in order
    /// (the first word starts at 0, each next one where the previous ended).
    func wordEnds(of codepoints: [UInt32]) -> [Int] {
        var splitter = WordSplitter(codepoints: codepoints)
        switch rules {
        case .gpt2:
            splitter.splitGPT2(0, codepoints.count)
        case .smollm:
            // Isolate each number code point, then apply the GPT-2 rules to each piece.
            var start = 0
            for index in 0..<codepoints.count where splitter.flags[index].isNumber {
                splitter.splitGPT2(start, index)
                splitter.splitGPT2(index, index + 1)
                start = index + 1
            }
            splitter.splitGPT2(start, codepoints.count)
        case .llama3:
            splitter.splitLlama3(0, codepoints.count, maxDigits: 3)
        case .qwen2:
            splitter.splitLlama3(0, codepoints.count, maxDigits: 1)
        }
        return splitter.ends
    }
}
