// The sampler's two numeric building blocks: partial selection of the best tokens, and a
// portable `exp` that gives identical bits on every platform.

extension Sampler {
    /// Puts the `k` best tokens of `logits` into `out[0..<k]`, best first.
    ///
    /// "Better" means a higher logit, then a lower id; NaN counts as -inf. This is a k-element
    /// min-heap over one pass of the vocabulary, O(n log k), followed by a heapsort of the k
    /// survivors; with k = n it is a plain heapsort. It allocates nothing.
    static func selectTop(
        _ k: Int, of logits: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Candidate>
    ) {
        precondition(k >= 1 && k <= logits.count && k <= out.count, "k must be in 1...vocabulary size")
        // out[0..<k] is a heap whose root out[0] is the worst token kept so far.
        for i in 0..<k { out[i] = Candidate(logit: orderable(logits[i]), id: Int32(i)) }
        var node = k / 2
        while node > 0 {
            node -= 1
            siftDown(out, from: node, count: k)
        }
        // Later tokens have higher ids, so on an equal logit they lose: a strict `>` is the tie rule.
        // A NaN logit fails the comparison and is skipped, as -inf would be.
        for i in k..<logits.count where logits[i] > out[0].logit {
            out[0] = Candidate(logit: logits[i], id: Int32(i))
            siftDown(out, from: 0, count: k)
        }
        sortHeapBestFirst(out, count: k)
    }

    /// Sorts `buffer` best first (higher logit, then lower id), in place, allocating nothing.
    static func sortBestFirst(_ buffer: UnsafeMutableBufferPointer<Candidate>) {
        var node = buffer.count / 2
        while node > 0 {
            node -= 1
            siftDown(buffer, from: node, count: buffer.count)
        }
        sortHeapBestFirst(buffer, count: buffer.count)
    }

    /// Heapsort's second half on a heap with the worst at the root: move the worst to the back
    /// repeatedly, leaving the best at the front.
    private static func sortHeapBestFirst(_ heap: UnsafeMutableBufferPointer<Candidate>, count: Int) {
        var size = count
        while size > 1 {
            size -= 1
            heap.swapAt(0, size)
            siftDown(heap, from: 0, count: size)
        }
    }

    @inline(__always)
    private static func isWorse(_ a: Candidate, than b: Candidate) -> Bool {
        a.logit < b.logit || (a.logit == b.logit && a.id > b.id)
    }

    private static func siftDown(_ heap: UnsafeMutableBufferPointer<Candidate>, from start: Int, count: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= count { return }
            var worst = parent
            if isWorse(heap[left], than: heap[worst]) { worst = left }
            let right = left + 1
            if right < count && isWorse(heap[right], than: heap[worst]) { worst = right }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }

    /// NaN becomes -inf so that comparisons stay a total order.
    @inline(__always)
    static func orderable(_ logit: Float) -> Float { logit.isNaN ? -.infinity : logit }

    /// eˣ in Float, within about 1 ulp, from +, × and bit operations only.
    ///
    /// The platform `expf` differs by an ulp between C libraries, which could change a seeded draw;
    /// this one gives the same bits everywhere. x = n·ln2 + r with |r| ≤ ln2/2, eʳ by its Taylor
    /// series to r⁷, and 2ⁿ written straight into the exponent bits.
    static func exp(_ x: Float) -> Float {
        if x.isNaN { return x }
        if x < -87.3 { return 0 }  // below the smallest normal Float; flushed, as weights that small do not matter
        if x > 88 { return .infinity }
        // n = round(x × log2 e); truncating conversion instead of `rounded()`, which is a libm call.
        let scaled = x * 1.442_695_04
        let n = Float(Int32(scaled + (scaled < 0 ? -0.5 : 0.5)))
        // ln2 split in two so that n × high is exact (Cody–Waite reduction).
        let r = (x - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // n is in -126...127 here, so the biased exponent stays a normal one.
        let scale = Float(bitPattern: UInt32(Int32(n) + 127) << 23)
        return p * scale
    }
}
