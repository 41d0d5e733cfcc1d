/// How to pick tokens and when to stop: the per-request knobs of generation.
///
/// Filters run in llama.cpp's default order: penalties → top-k → top-p → min-p → temperature →
/// softmax → draw. Top-p and min-p therefore see the distribution at temperature 1; the
/// temperature only reshapes the probabilities among the tokens that survive them.
public struct SamplingParams: Sendable, Equatable, Codable {
    /// Softmax temperature; 0 picks the most likely token (argmax, ties to the lowest id).
    public var temperature: Float = 0.8
    /// Keep only the `topK` most likely tokens; 0 turns the filter off.
    public var topK: Int = 40
    /// Keep the smallest set of most likely tokens whose probabilities add up to at least `topP`; 1 turns it off.
    public var topP: Float = 0.95
    /// Drop tokens less likely than `minP` times the most likely one; 0 turns it off.
    public var minP: Float = 0.05
    /// For each token seen in the penalty window: logit > 0 ? logit / penalty : logit × penalty. 1 turns it off.
    public var repetitionPenalty: Float = 1
    /// Subtracted once from the logit of every token seen in the penalty window.
    public var presencePenalty: Float = 0
    /// Subtracted from a token's logit once per occurrence in the penalty window.
    public var frequencyPenalty: Float = 0
    /// How many of the most recent tokens (prompt included) the penalties look at; 0 = none, -1 = all.
    public var penaltyLastN: Int = 64
    /// Seed of the random draw; the same seed gives the same tokens on every platform. `nil` picks one at random.
    public var seed: UInt64? = nil
    /// The most tokens to generate.
    public var maxTokens: Int = 256
    /// Generation ends when the text contains one of these; the stop string itself is not returned.
    public var stop: [String] = []

    /// Creates sampling parameters; every argument has the default documented on its property.
    public init(
        temperature: Float = 0.8,
        topK: Int = 40,
        topP: Float = 0.95,
        minP: Float = 0.05,
        repetitionPenalty: Float = 1,
        presencePenalty: Float = 0,
        frequencyPenalty: Float = 0,
        penaltyLastN: Int = 64,
        seed: UInt64? = nil,
        maxTokens: Int = 256,
        stop: [String] = []
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.penaltyLastN = penaltyLastN
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
    }

    /// Always the most likely token, no filters, no penalties: reproducible output for tests and evals.
    public static let greedy = SamplingParams(temperature: 0, topK: 0, topP: 1, minP: 0)

    /// Checks every field against its allowed range.
    /// - Returns: `self`, unchanged, so calls can be chained: `try params.validated()`.
    /// - Throws: `SamplingError` naming the first field that is out of range and the range it must be in.
    public func validated() throws(SamplingError) -> SamplingParams {
        func check(_ ok: Bool, _ field: String, _ value: some CustomStringConvertible, _ allowed: String)
            throws(SamplingError)
        {
            if !ok { throw .outOfRange(field: field, value: value.description, allowed: allowed) }
        }
        try check(temperature.isFinite && temperature >= 0, "temperature", temperature, "a finite number ≥ 0")
        try check(topK >= 0, "topK", topK, "≥ 0 (0 turns it off)")
        try check(topP > 0 && topP <= 1, "topP", topP, "in (0, 1] (1 turns it off)")
        try check(minP >= 0 && minP <= 1, "minP", minP, "in [0, 1] (0 turns it off)")
        try check(
            repetitionPenalty.isFinite && repetitionPenalty > 0, "repetitionPenalty", repetitionPenalty,
            "a finite number > 0 (1 turns it off)")
        try check(presencePenalty >= -2 && presencePenalty <= 2, "presencePenalty", presencePenalty, "in [-2, 2]")
        try check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequencyPenalty", frequencyPenalty, "in [-2, 2]")
        try check(penaltyLastN >= -1, "penaltyLastN", penaltyLastN, "≥ -1 (-1 = whole history, 0 = off)")
        try check(maxTokens >= 1, "maxTokens", maxTokens, "≥ 1")
        if let index = stop.firstIndex(where: \.isEmpty) { throw .emptyStopString(index: index) }
        return self
    }
}

extension SamplingParams {
    private enum CodingKeys: String, CodingKey {
        case temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty
        case penaltyLastN, seed, maxTokens, stop
    }

    /// Decodes parameters; a missing key takes its default, so `{}` decodes to `SamplingParams()`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SamplingParams()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repetitionPenalty = try c.decodeIfPresent(Float.self, forKey: .repetitionPenalty) ?? d.repetitionPenalty
        presencePenalty = try c.decodeIfPresent(Float.self, forKey: .presencePenalty) ?? d.presencePenalty
        frequencyPenalty = try c.decodeIfPresent(Float.self, forKey: .frequencyPenalty) ?? d.frequencyPenalty
        penaltyLastN = try c.decodeIfPresent(Int.self, forKey: .penaltyLastN) ?? d.penaltyLastN
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? d.maxTokens
        stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? d.stop
    }
}
