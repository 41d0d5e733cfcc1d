/// Picks the next token from one row of logits.
///
/// The chain is llama.cpp's default order: penalties → top-k → top-p → min-p → temperature →
/// softmax → draw. A temperature of 0 is an exact argmax (ties go to the lowest id).
///
/// All scratch space is allocated once in `init`; `sample` allocates nothing. The vocabulary is
/// never fully sorted: top-k is a partial selection (a k-element heap), and top-p without top-k
/// finds its cut with a histogram of probability mass, sorting only the tokens next to the cut.
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
    // (massBucketCount) probability mass per band of logits, for top-p without top-k.
    private var bucketMass: [Float]

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
        bucketMass = Array(repeating: 0, count: params.topP < 1 ? Self.massBucketCount : 0)
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
            bucketMass.withUnsafeMutableBufferPointer { bucketMass in
                let count = Self.filter(params, logits: logits, into: candidates, bucketMass: bucketMass)
                return Self.draw(from: candidates, count: count, temperature: params.temperature, random: &random)
            }
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
