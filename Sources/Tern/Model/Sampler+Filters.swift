// The truncation filters of the sampling chain: top-k, then top-p, then min-p.

extension Sampler {
    /// Top-p without top-k buckets tokens by how far their logit is below the best one:
    /// `massBucketsPerNat` buckets per unit of logit, up to 32 below the best (e⁻³² ≈ 10⁻¹⁴,
    /// mass that no longer matters); everything further down shares the last bucket.
    static let massBucketCount = 4096
    static let massBucketsPerNat: Float = 128

    /// Runs top-k, top-p and min-p, leaving the survivors in `candidates[0..<count]`.
    /// - Parameter bucketMass: (massBucketCount) scratch for top-p without top-k; may be empty otherwise.
    /// - Returns: `count`, at least 1.
    static func filter(
        _ params: SamplingParams, logits: UnsafeMutableBufferPointer<Float>,
        into candidates: UnsafeMutableBufferPointer<Candidate>, bucketMass: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        let vocabularySize = logits.count
        // Until `materialized`, the candidates are simply all tokens, read straight from `logits`.
        var materialized = false
        var sorted = false  // candidates[0..<count] are best first
        var count = vocabularySize
        if params.topK > 0 && params.topK < vocabularySize {
            count = params.topK
            selectTop(count, of: logits, into: candidates)
            materialized = true
            sorted = true
        }
        if params.topP < 1 {
            if sorted {
                count = topPOfSorted(candidates, count: count, p: params.topP)
            } else if bucketMass.count == massBucketCount {
                count = topPOverAll(logits, into: candidates, bucketMass: bucketMass, p: params.topP)
                materialized = true
            }
        }
        if params.minP > 0 {
            if sorted {
                // The first token is the most likely and always survives.
                let best = candidates[0].logit
                var kept = 1
                while kept < count && exp(candidates[kept].logit - best) >= params.minP { kept += 1 }
                count = kept
            } else if materialized {
                count = minPInPlace(candidates, count: count, minP: params.minP)
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

    /// Top-p on `candidates[0..<count]`, sorted best first: the smallest prefix whose probability,
    /// renormalized over these candidates, reaches `p`.
    private static func topPOfSorted(_ candidates: UnsafeMutableBufferPointer<Candidate>, count: Int, p: Float) -> Int {
        let best = candidates[0].logit
        var total: Float = 0
        for i in 0..<count { total += exp(candidates[i].logit - best) }
        let target = p * total
        var cumulative: Float = 0
        for i in 0..<count {
            cumulative += exp(candidates[i].logit - best)
            if cumulative >= target { return i + 1 }
        }
        return count
    }

    /// Top-p over the whole vocabulary in O(vocabulary), without sorting it.
    ///
    /// A histogram of probability mass by distance below the best logit finds the bucket where the
    /// running mass crosses `p`. Every token in a better bucket is kept; only the tokens of that one
    /// bucket are sorted, and the best of them taken until the mass reaches `p`. The kept set is
    /// exactly a best-first prefix (by logit, then id) but is left unsorted.
    private static func topPOverAll(
        _ logits: UnsafeMutableBufferPointer<Float>, into candidates: UnsafeMutableBufferPointer<Candidate>,
        bucketMass: UnsafeMutableBufferPointer<Float>, p: Float
    ) -> Int {
        let vocabularySize = logits.count
        let best = orderable(logits[argmax(logits)])
        bucketMass.update(repeating: 0)
        var total: Float = 0
        for i in 0..<vocabularySize {
            let logit = orderable(logits[i])
            let weight = exp(logit - best)
            total += weight
            bucketMass[bucket(best - logit)] += weight
        }
        let target = p * total
        var cumulative: Float = 0  // mass of the buckets before `boundary`
        var boundary = -1
        for b in 0..<massBucketCount {
            if cumulative + bucketMass[b] >= target {
                boundary = b
                break
            }
            cumulative += bucketMass[b]
        }
        guard boundary >= 0 else {
            // Rounding (or NaN/inf logits) kept the mass short of `p × total`: keep everything.
            for i in 0..<vocabularySize { candidates[i] = Candidate(logit: orderable(logits[i]), id: Int32(i)) }
            return vocabularySize
        }
        // Better buckets go to the front, the boundary bucket to the back (its order there does not matter).
        var front = 0
        var back = vocabularySize
        for i in 0..<vocabularySize {
            let logit = orderable(logits[i])
            let b = bucket(best - logit)
            if b < boundary {
                candidates[front] = Candidate(logit: logit, id: Int32(i))
                front += 1
            } else if b == boundary {
                back -= 1
                candidates[back] = Candidate(logit: logit, id: Int32(i))
            }
        }
        sortBestFirst(UnsafeMutableBufferPointer(rebasing: candidates[back..<vocabularySize]))
        // Move the needed head of the boundary bucket down to follow the front; writes land at or
        // before the element being read, so nothing unread is overwritten.
        var count = front
        for i in back..<vocabularySize {
            let candidate = candidates[i]
            candidates[count] = candidate
            count += 1
            cumulative += exp(candidate.logit - best)
            if cumulative >= target { break }
        }
        return count
    }

    /// The mass bucket of a token whose logit is `distance` below the best; NaN goes to the last bucket.
    @inline(__always)
    private static func bucket(_ distance: Float) -> Int {
        distance < Float(massBucketCount) / massBucketsPerNat ? Int(distance * massBucketsPerNat) : massBucketCount - 1
    }

    /// Min-p on unsorted `candidates[0..<count]`: keeps those with p ≥ minP × p_max, in their order.
    private static func minPInPlace(_ candidates: UnsafeMutableBufferPointer<Candidate>, count: Int, minP: Float)
        -> Int
    {
        var best = candidates[0].logit
        for i in 1..<max(count, 1) { best = max(best, candidates[i].logit) }
        var kept = 0
        for i in 0..<count where exp(candidates[i].logit - best) >= minP {
            candidates[kept] = candidates[i]
            kept += 1
        }
        return max(kept, 1)  // 0 only if every logit is -inf; then keep one to draw from
    }

    /// Min-p over the whole vocabulary: keeps the tokens with p ≥ minP × p_max, in id order.
    private static func minPOverAll(
        _ logits: UnsafeMutableBufferPointer<Float>, into candidates: UnsafeMutableBufferPointer<Candidate>,
        minP: Float
    ) -> Int {
        let bestIndex = argmax(logits)
        let best = orderable(logits[bestIndex])
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
            candidates[0] = Candidate(logit: best, id: Int32(bestIndex))
            count = 1
        }
        return count
    }
}
