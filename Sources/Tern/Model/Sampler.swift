/// Picks the next token from one row of logits.
///
/// The chain is llama.cpp's default order: penalties → top-k → top-p → min-p → temperature →
/// softmax → draw. A temperature of 0 is an exact argmax (ties go to the lowest id).
///
/// All scratch space is allocated once in `init`; `sample` allocates nothing. Top-k uses a
/// partial selection (a k-element heap), so the whole vocabulary is never sorted for it.
/// Every comparison orders tokens by logit and then by id, and the random draw uses
/// `RandomGenerator` and a portable `exp`, so a seed gives the same tokens on every platform.
///
/// Parameters are expected to be `validated()`; out-of-range values never crash but fall back
/// to the nearest meaningful setting (e.g. a negative temperature acts as 0).
public struct Sampler: Sendable {
    /// One surviving token: its id and its current logit (or, at the very end, its weight).
    struct Candidate: Equatable {
        var logit: Float
        var id: Int32
    }

    /// The parameters this sampler applies.
    public let params: SamplingParams
    /// The number of logits every `sample` call must pass.
    public let vocabularySize: Int
    /// The seed actually used: `params.seed`, or the random one picked when it was `nil`.
    public let seed: UInt64

    private var random: RandomGenerator
    // (vocabularySize) the tokens still in the running; a prefix holds the live ones.
    private var candidates: [Candidate]
    // (vocabularySize) occurrences of each token in the penalty window; all zero between calls.
    private var counts: [Int32]

    /// How many of the best tokens top-p looks at before falling back to sorting everything.
    /// With a peaked distribution these almost always hold the needed probability mass.
    static let topPFirstGuess = 256

    /// Creates a sampler and allocates its scratch space.
    /// - Parameters:
    ///   - params: the sampling parameters, preferably `validated()`.
    ///   - vocabularySize: the length of every logits row; must be at least 1.
    public init(params: SamplingParams, vocabularySize: Int) {
        precondition(vocabularySize > 0 && vocabularySize <= Int(Int32.max), "vocabulary size must fit 1...Int32.max")
        self.params = params
        self.vocabularySize = vocabularySize
        var system = SystemRandomNumberGenerator()
        seed = params.seed ?? system.next()
        random = RandomGenerator(seed: seed)
        candidates = Array(repeating: Candidate(logit: 0, id: 0), count: vocabularySize)
        let penaltiesOn =
            params.penaltyLastN != 0
            && (params.repetitionPenalty != 1 || params.presencePenalty != 0 || params.frequencyPenalty != 0)
        counts = Array(repeating: 0, count: penaltiesOn ? vocabularySize : 0)
    }

    /// Picks the next token.
    /// - Parameters:
    ///   - logits: (vocabularySize) the model's output for the last position. Penalties are applied
    ///     to it in place; the other filters leave it alone.
    ///   - history: the prompt plus every token generated so far, oldest first. Ids outside the
    ///     vocabulary are ignored.
    /// - Returns: a token id in `0..<vocabularySize`.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>, history: some Collection<Int>) -> Int {
        precondition(logits.count == vocabularySize, "logits row must have vocabularySize entries")
        let params = self.params
        if !counts.isEmpty {
            let window = params.penaltyLastN < 0 ? history[...] : history.suffix(params.penaltyLastN)
            counts.withUnsafeMutableBufferPointer { counts in
                Self.applyPenalties(params, window: window, counts: counts, logits: logits)
            }
        }
        if !(params.temperature > 0) { return Self.argmax(logits) }

        var random = self.random
        let token = candidates.withUnsafeMutableBufferPointer { candidates in
            let count = Self.filter(params, logits: logits, into: candidates)
            return Self.draw(from: candidates, count: count, temperature: params.temperature, random: &random)
        }
        self.random = random
        return token
    }

    /// Repetition, frequency and presence penalties, with llama.cpp's semantics, on each distinct token of `window`.
    static func applyPenalties(
        _ params: SamplingParams, window: some Collection<Int>,
        counts: UnsafeMutableBufferPointer<Int32>, logits: UnsafeMutableBufferPointer<Float>
    ) {
        let vocabularySize = logits.count
        for id in window where id >= 0 && id < vocabularySize { counts[id] &+= 1 }
        // Second pass: penalize each token the first time it is met, and reset its count so it
        // is penalized once and the buffer is all zero again for the next call.
        for id in window where id >= 0 && id < vocabularySize && counts[id] > 0 {
            let count = Float(counts[id])
            counts[id] = 0
            var logit = logits[id]
            // Dividing a negative logit would make the token more likely, hence the multiply.
            logit = logit > 0 ? logit / params.repetitionPenalty : logit * params.repetitionPenalty
            logit -= count * params.frequencyPenalty + params.presencePenalty
            logits[id] = logit
        }
    }

    /// The index of the largest logit; ties go to the lowest index, NaN is never picked (unless all are NaN).
    static func argmax(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var bestLogit = -Float.infinity
        for i in 0..<logits.count where logits[i] > bestLogit {
            best = i
            bestLogit = logits[i]
        }
        return best
    }

    /// Runs top-k, top-p and min-p, leaving the survivors in `candidates[0..<count]`.
    /// - Returns: `count`, at least 1.
    static func filter(
        _ params: SamplingParams, logits: UnsafeMutableBufferPointer<Float>,
        into candidates: UnsafeMutableBufferPointer<Candidate>
    ) -> Int {
        let vocabularySize = logits.count
        // Until `materialized`, the candidates are simply all tokens, read straight from `logits`.
        // Once materialized by top-k or top-p they are sorted best first.
        var materialized = false
        var count = vocabularySize
        if params.topK > 0 && params.topK < vocabularySize {
            count = params.topK
            selectTop(count, of: logits, into: candidates)
            materialized = true
        }
        if params.topP < 1 {
            if materialized {
                count = topPPrefix(candidates, count: count, total: nil, p: params.topP) ?? count
            } else {
                count = topPOverAll(logits, into: candidates, p: params.topP)
                materialized = true
            }
        }
        if params.minP > 0 {
            if materialized {
                // Sorted: the first token is the most likely and always survives.
                let best = candidates[0].logit
                var kept = 1
                while kept < count && exp(candidates[kept].logit - best) >= params.minP { kept += 1 }
                count = kept
            } else {
                count = minPOverAll(logits, into: candidates, minP: params.minP)
                materialized = true
            }
        }
        if !materialized {
            for i in 0..<vocabularySize { candidates[i] = Candidate(logit: orderable(logits[i]), id: Int32(i)) }
        }
        return count
    }

    /// Top-p on the first `count` candidates, sorted best first.
    /// - Parameter total: the softmax denominator (relative to `candidates[0]`) when the candidates
    ///   are only the head of a larger set; `nil` means the candidates are the whole set.
    /// - Returns: the smallest prefix whose probability reaches `p`, or `nil` if the prefix never does
    ///   (only possible when `total` is given).
    private static func topPPrefix(
        _ candidates: UnsafeMutableBufferPointer<Candidate>, count: Int, total: Float?, p: Float
    ) -> Int? {
        let best = candidates[0].logit
        var sum: Float = 0
        if let total {
            sum = total
        } else {
            for i in 0..<count { sum += exp(candidates[i].logit - best) }
        }
        let target = p * sum
        var cumulative: Float = 0
        for i in 0..<count {
            cumulative += exp(candidates[i].logit - best)
            if cumulative >= target { return i + 1 }
        }
        return total == nil ? count : nil
    }

    /// Top-p over the whole vocabulary: tries the best `topPFirstGuess` tokens first and sorts
    /// everything only when they do not hold `p` of the probability.
    private static func topPOverAll(
        _ logits: UnsafeMutableBufferPointer<Float>, into candidates: UnsafeMutableBufferPointer<Candidate>, p: Float
    ) -> Int {
        let vocabularySize = logits.count
        let guess = min(topPFirstGuess, vocabularySize)
        selectTop(guess, of: logits, into: candidates)
        let best = candidates[0].logit
        var total: Float = 0
        for i in 0..<vocabularySize { total += exp(orderable(logits[i]) - best) }
        if let count = topPPrefix(candidates, count: guess, total: total, p: p) { return count }
        selectTop(vocabularySize, of: logits, into: candidates)
        // Rounding can leave the full sum a hair under `p × total`; then everything stays.
        return topPPrefix(candidates, count: vocabularySize, total: total, p: p) ?? vocabularySize
    }

    /// Min-p over the whole vocabulary, unsorted: keeps the tokens with p ≥ minP × p_max, in id order.
    private static func minPOverAll(
        _ logits: UnsafeMutableBufferPointer<Float>, into candidates: UnsafeMutableBufferPointer<Candidate>,
        minP: Float
    ) -> Int {
        let best = logits[argmax(logits)]
        var count = 0
        for i in 0..<logits.count {
            let logit = orderable(logits[i])
            if exp(logit - best) >= minP {
                candidates[count] = Candidate(logit: logit, id: Int32(i))
                count += 1
            }
        }
        // Only when every logit is -inf or NaN: keep the argmax so there is something to draw.
        if count == 0 {
            candidates[0] = Candidate(logit: orderable(best), id: Int32(argmax(logits)))
            count = 1
        }
        return count
    }

    /// Temperature, softmax and the random draw over `candidates[0..<count]`.
    private static func draw(
        from candidates: UnsafeMutableBufferPointer<Candidate>, count: Int, temperature: Float,
        random: inout RandomGenerator
    ) -> Int {
        var best = -Float.infinity
        for i in 0..<count { best = max(best, candidates[i].logit) }
        if best == -.infinity { return Int(candidates[0].id) }
        let inverseTemperature = 1 / temperature
        // Each candidate's logit is replaced by its unnormalized probability.
        var sum: Double = 0
        for i in 0..<count {
            let weight = exp((candidates[i].logit - best) * inverseTemperature)
            candidates[i].logit = weight
            sum += Double(weight)
        }
        let target = random.nextUnitDouble() * sum
        var cumulative: Double = 0
        var lastPositive = 0
        for i in 0..<count where candidates[i].logit > 0 {
            cumulative += Double(candidates[i].logit)
            if target < cumulative { return Int(candidates[i].id) }
            lastPositive = i
        }
        return Int(candidates[lastPositive].id)
    }
}
