import Foundation
import Testing

@testable import Tern

/// Runs `sample` `count` times on fresh copies of `logits`, with an empty history.
private func draws(_ params: SamplingParams, _ logits: [Float], count: Int) -> [Int] {
    var sampler = Sampler(params: params, vocabularySize: logits.count)
    var row = logits
    return (0..<count).map { _ in
        row = logits
        return row.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: [Int]()) }
    }
}

/// Fraction of `tokens` equal to each id in `0..<vocabularySize`.
private func frequencies(_ tokens: [Int], vocabularySize: Int) -> [Double] {
    var counts = [Double](repeating: 0, count: vocabularySize)
    for token in tokens { counts[token] += 1 }
    return counts.map { $0 / Double(tokens.count) }
}

/// Random logits with many exact ties (values on a coarse grid), so tie rules get exercised.
private func tiedLogits(count: Int, seed: UInt64) -> [Float] {
    var random = RandomGenerator(seed: seed)
    return (0..<count).map { _ in Float(random.next() % 64) / 8 - 4 }
}

// A hand-made distribution: logits are log-probabilities.
private let probabilities: [Double] = [0.4, 0.3, 0.15, 0.1, 0.04, 0.01]
private let logLogits = probabilities.map { Float(Foundation.log($0)) }
private let plain = SamplingParams(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1234)

@Suite("Sampler")
struct SamplerTests {
    @Test func greedyPicksArgmaxWithTiesToLowestId() {
        #expect(draws(.greedy, [0.1, 2.5, -1, 2.5, 0], count: 3) == [1, 1, 1])
        #expect(draws(.greedy, [-3, -1, -2], count: 1) == [1])
        #expect(draws(.greedy, [.nan, 1, 3, .nan, 3], count: 1) == [2])
        let logits = tiedLogits(count: 3000, seed: 5)
        let expected = logits.indices.first { logits[$0] == logits.max()! }!
        #expect(draws(.greedy, logits, count: 1) == [expected])
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() {
        let logits = tiedLogits(count: 100, seed: 9).map { $0 / 4 }
        var params = SamplingParams(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 42)
        let first = draws(params, logits, count: 50)
        #expect(draws(params, logits, count: 50) == first)
        params.seed = 43
        #expect(draws(params, logits, count: 50) != first)
        #expect(Set(first).count > 10, "a flat distribution should give varied tokens")
    }

    @Test func unseededSamplersReportTheSeedTheyPicked() {
        let sampler = Sampler(params: SamplingParams(), vocabularySize: 4)
        let replay = Sampler(params: SamplingParams(seed: sampler.seed), vocabularySize: 4)
        #expect(replay.seed == sampler.seed)
        // Two unseeded samplers pick different seeds (equal with probability 2⁻⁶⁴).
        #expect(Sampler(params: SamplingParams(), vocabularySize: 4).seed != sampler.seed)
    }

    @Test(arguments: [Float(0.01), 0.7, 1, 3, 100])
    func topKOneEqualsGreedyAtAnyTemperature(temperature: Float) {
        for seed in UInt64(0)..<5 {
            let logits = tiedLogits(count: 500, seed: seed)
            let params = SamplingParams(temperature: temperature, topK: 1, seed: seed)
            #expect(draws(params, logits, count: 20) == draws(.greedy, logits, count: 20))
        }
    }

    @Test(arguments: [1, 7, 40, 256, 999, 1000])
    func topKSelectionMatchesAFullSort(k: Int) {
        var logits = tiedLogits(count: 1000, seed: UInt64(k))
        logits[17] = .nan
        let reference = logits.indices.sorted {
            let a = Sampler.orderable(logits[$0]), b = Sampler.orderable(logits[$1])
            return a > b || (a == b && $0 < $1)
        }
        var out = [Sampler.Candidate](repeating: .init(logit: 0, id: 0), count: 1000)
        logits.withUnsafeMutableBufferPointer { logits in
            out.withUnsafeMutableBufferPointer { Sampler.selectTop(k, of: logits, into: $0) }
        }
        #expect(out[..<k].map { Int($0.id) } == Array(reference[..<k]))
    }

    @Test func plainSamplingFollowsTheDistribution() {
        let freq = frequencies(draws(plain, logLogits, count: 2000), vocabularySize: 6)
        for (f, p) in zip(freq, probabilities) { #expect(abs(f - p) < 0.035, "\(freq)") }
    }

    /// topP 0.8 over 0.4, 0.3, 0.15, … keeps exactly the first three (0.85 ≥ 0.8), renormalized.
    /// After top-k = 4 the same three survive: 0.85 / 0.95 ≥ 0.8 but 0.7 / 0.95 < 0.8.
    @Test(arguments: [0, 5, 4])
    func topPKeepsTheSmallestSetReachingP(topK: Int) {
        var params = plain
        params.topK = topK
        params.topP = 0.8
        let freq = frequencies(draws(params, logLogits, count: 2000), vocabularySize: 6)
        #expect(freq[3] == 0 && freq[4] == 0 && freq[5] == 0, "\(freq)")
        for i in 0..<3 { #expect(abs(freq[i] - probabilities[i] / 0.85) < 0.035, "\(freq)") }
    }

    @Test func topPWorksOnTheTopKSetRenormalized() {
        // After top-k = 3 the shares are 0.47, 0.35, 0.18: the first two already reach 0.8.
        let params = SamplingParams(temperature: 1, topK: 3, topP: 0.8, minP: 0, seed: 8)
        let freq = frequencies(draws(params, logLogits, count: 2000), vocabularySize: 6)
        #expect(freq[2...].allSatisfy { $0 == 0 }, "\(freq)")
        #expect(abs(freq[0] - 0.4 / 0.7) < 0.035, "\(freq)")
    }

    @Test func topPOverAFlatVocabularyKeepsTheLowestIds() {
        // 400 equal logits all land in one mass bucket, which is then sorted by id:
        // the kept half is ids 0..<200 (one more if rounding lags).
        let params = SamplingParams(temperature: 1, topK: 0, topP: 0.5, minP: 0, seed: 3)
        let tokens = draws(params, [Float](repeating: 0.5, count: 400), count: 300)
        #expect(tokens.max()! <= 201)
        #expect(tokens.contains { $0 >= 190 })
        #expect(Set(tokens).count > 120)  // ~155 expected from 300 draws over 200 tokens
    }

    @Test(arguments: [Float(0.1), 0.5, 0.9, 0.95, 0.99])
    func topPWithoutTopKKeepsExactlyTheBestPrefix(p: Float) {
        // Half the logits on a coarse grid (ties), half spread out, over a wide range.
        var random = RandomGenerator(seed: UInt64(p * 100))
        let logits: [Float] = (0..<3000).map { i in
            i % 2 == 0 ? Float(random.next() % 32) / 2 - 8 : Float(random.nextUnitDouble() * 30 - 20)
        }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        let weights = order.map { Foundation.exp(Double(logits[$0] - logits[order[0]])) }
        let target = Double(p) * weights.reduce(0, +)
        var cumulative = 0.0
        let expectedCount = 1 + weights.firstIndex { cumulative += $0; return cumulative >= target }!

        let params = SamplingParams(temperature: 1, topK: 0, topP: p, minP: 0)
        var row = logits
        var candidates = [Sampler.Candidate](repeating: .init(logit: 0, id: 0), count: 3000)
        var mass = [Float](repeating: 0, count: Sampler.massBucketCount)
        let count = row.withUnsafeMutableBufferPointer { row in
            candidates.withUnsafeMutableBufferPointer { candidates in
                mass.withUnsafeMutableBufferPointer { Sampler.filter(params, logits: row, into: candidates, bucketMass: $0) }
            }
        }
        #expect(abs(count - expectedCount) <= 1, "kept \(count), reference \(expectedCount)")
        #expect(Set(candidates[..<count].map { Int($0.id) }) == Set(order[..<count]))
    }

    /// minP 0.3 drops everything below 0.3 × 0.4 = 0.12: tokens 3, 4 and 5.
    @Test(arguments: [(0, Float(1)), (5, 1), (0, 0.99)] as [(Int, Float)])
    func minPDropsTokensBelowAFractionOfTheBest(topK: Int, topP: Float) {
        var params = plain
        params.topK = topK
        params.topP = topP
        params.minP = 0.3
        let freq = frequencies(draws(params, logLogits, count: 2000), vocabularySize: 6)
        #expect(freq[3] == 0 && freq[4] == 0 && freq[5] == 0, "\(freq)")
        for i in 0..<3 { #expect(abs(freq[i] - probabilities[i] / 0.85) < 0.035, "\(freq)") }
    }

    @Test func temperatureReshapesOnlyTheSurvivors() {
        // At T = 0.5 probabilities go as p²: 0.16, 0.09, 0.0225 among the three top-p survivors.
        var params = plain
        params.topP = 0.8
        params.temperature = 0.5
        let cold = frequencies(draws(params, logLogits, count: 2000), vocabularySize: 6)
        let squares = probabilities[..<3].map { $0 * $0 }
        for i in 0..<3 { #expect(abs(cold[i] - squares[i] / squares.reduce(0, +)) < 0.035, "\(cold)") }
        // A very high temperature flattens the survivors but cannot bring back filtered tokens.
        params.temperature = 50
        let hot = frequencies(draws(params, logLogits, count: 2000), vocabularySize: 6)
        #expect(hot[3...].allSatisfy { $0 == 0 }, "\(hot)")
        for i in 0..<3 { #expect(abs(hot[i] - 1.0 / 3) < 0.04, "\(hot)") }
    }

    @Test func penaltiesChangeLogitsExactlyAsSpecified() {
        let params = SamplingParams(
            temperature: 0, repetitionPenalty: 2, presencePenalty: 0.25, frequencyPenalty: 0.5, penaltyLastN: 64)
        var sampler = Sampler(params: params, vocabularySize: 6)
        var logits: [Float] = [2, -2, 1, 0, 3, 0.5]
        // Token 0 once, token 1 twice, token 3 once; 9 and -1 are outside the vocabulary and ignored.
        let token = logits.withUnsafeMutableBufferPointer {
            sampler.sample(logits: $0, history: [0, 1, 9, 1, 3, -1])
        }
        // 2 > 0 is divided, -2 and 0 are multiplied; then count × 0.5 + 0.25 is subtracted.
        let expected: [Float] = [0.25, -5.25, 1, -0.75, 3, 0.5]
        #expect(logits == expected)
        #expect(token == 4)
        // The count buffer is reset between calls: a second call penalizes the same way.
        var again: [Float] = [2, -2, 1, 0, 3, 0.5]
        _ = again.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: [0, 1, 9, 1, 3, -1]) }
        #expect(again == logits)
    }

    @Test(arguments: [
        (1, [Float(1), 4, 4, 4]),  // only the last token (0) is in the window
        (2, [1, 2, 4, 4]),
        (-1, [1, 2, 2, 4]),  // the whole history
        (0, [2, 4, 4, 4]),  // penalties off
    ] as [(Int, [Float])])
    func penaltiesLookOnlyAtTheLastNTokens(lastN: Int, expected: [Float]) {
        let params = SamplingParams(temperature: 0, repetitionPenalty: 2, penaltyLastN: lastN)
        var sampler = Sampler(params: params, vocabularySize: 4)
        var logits: [Float] = [2, 4, 4, 4]
        let token = logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: [2, 1, 0]) }
        #expect(logits == expected)
        #expect(token == expected.indices.first { expected[$0] == expected.max()! })
    }

    @Test(arguments: [
        [Float](repeating: -.infinity, count: 8), [Float](repeating: .nan, count: 8),
        [-.infinity, .nan, -.infinity, 1, .nan, -.infinity, -.infinity, .nan],
    ])
    func degenerateLogitsStillGiveAValidToken(logits: [Float]) {
        for params in [SamplingParams(seed: 1), plain, SamplingParams(topK: 0, topP: 0.5, seed: 2), .greedy] {
            for token in draws(params, logits, count: 5) { #expect((0..<8).contains(token)) }
        }
        if logits.contains(1) { #expect(draws(SamplingParams(seed: 1), logits, count: 5) == [3, 3, 3, 3, 3]) }
    }

    @Test func portableExpIsWithinTwoUlpsOfTheTrueValue() {
        var x: Float = -87
        while x < 0.5 {
            let exact = Foundation.exp(Double(x))
            let mine = Double(Sampler.exp(x))
            #expect(abs(mine - exact) <= 2.4e-7 * exact, "exp(\(x)) = \(mine), expected \(exact)")
            x += 0.0137
        }
        #expect(Sampler.exp(-100) == 0)
        #expect(Sampler.exp(0) == 1)
        #expect(Sampler.exp(-.infinity) == 0)
    }
}
