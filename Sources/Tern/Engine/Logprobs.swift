import Foundation

/// Log-probabilities of one row of logits under the model's own distribution (a plain
/// softmax, before penalties, temperature or filters), as OpenAI's API reports them.
enum Logprobs {
    /// The log-probability of `token` and the `top` most likely tokens, most likely first
    /// (ties by lower id).
    static func of(
        token: Int, top: Int, logits: UnsafeBufferPointer<Float>
    ) -> (logprob: Float, top: [TokenLogprob]) {
        var maximum = -Float.infinity
        for x in logits where x > maximum { maximum = x }
        var sum: Double = 0
        for x in logits { sum += Double(exp(x - maximum)) }
        let logNormalizer = maximum + Float(log(sum))
        let chosen = logits[token] - logNormalizer
        guard top > 0 else { return (chosen, []) }

        // A small sorted list beats sorting the vocabulary: k is at most 20.
        var best: [(logit: Float, id: Int)] = []
        best.reserveCapacity(top + 1)
        for (id, x) in logits.enumerated() {
            if best.count == top, let last = best.last, !(x > last.logit) { continue }
            let at = best.firstIndex { x > $0.logit } ?? best.count
            best.insert((x, id), at: at)
            if best.count > top { best.removeLast() }
        }
        return (chosen, best.map { TokenLogprob(token: $0.id, logprob: $0.logit - logNormalizer) })
    }
}
