import Tern

/// Token log-probabilities in the two shapes OpenAI uses.
struct LogprobFormatting: Sendable {
    let tokenizer: Tokenizer

    /// A token's text as the client sees it. Half of a UTF-8 character shows as U+FFFD; the
    /// exact bytes travel beside it (`bytes`), as in OpenAI's API.
    func text(of token: Int) -> String {
        String(decoding: tokenizer.bytes(of: token), as: UTF8.self)
    }

    /// JSON has no infinity: a token the model rules out entirely gets OpenAI's floor, -9999.
    static func finite(_ logprob: Float) -> Float {
        logprob.isFinite ? logprob : -9999
    }

    /// The chat entry for one generated token (`choices[i].logprobs.content[j]`).
    func chatEntry(_ token: GeneratedToken) -> ChatLogprobs.Entry {
        ChatLogprobs.Entry(
            token: text(of: token.token), logprob: Self.finite(token.logprob ?? 0), bytes: tokenizer.bytes(of: token.token),
            top_logprobs: token.topLogprobs.map {
                ChatLogprobs.Alternative(
                    token: text(of: $0.token), logprob: Self.finite($0.logprob), bytes: tokenizer.bytes(of: $0.token))
            })
    }

    /// Appends one generated token to legacy completions log-probabilities.
    /// - Parameters:
    ///   - offset: Where this token's text starts in the completion, in Unicode scalars.
    ///   - alternatives: Whether the request asked for alternatives (`logprobs` > 0).
    func append(_ token: GeneratedToken, offset: Int, alternatives: Bool, to logprobs: inout TextLogprobs) {
        logprobs.tokens.append(text(of: token.token))
        logprobs.tokenLogprobs.append(Self.finite(token.logprob ?? 0))
        logprobs.textOffset.append(offset)
        if alternatives {
            var top: [String: Float] = [:]
            for alternative in token.topLogprobs where top[text(of: alternative.token)] == nil {
                top[text(of: alternative.token)] = Self.finite(alternative.logprob)
            }
            logprobs.topLogprobs = (logprobs.topLogprobs ?? []) + [top]
        }
    }
}
