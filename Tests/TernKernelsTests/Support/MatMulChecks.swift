import Testing
@testable import TernKernels

/// A product's shape and the threads that run it, for the matrix-product suites.
struct MatMulShape: CustomStringConvertible, Sendable {
    let rows: Int, columns: Int, batch: Int, threads: Int
    var description: String { "\(rows)x\(columns) batch \(batch) threads \(threads)" }
}

/// What the matrix-product suites share: one product on one path, the size of the terms
/// summed (for tolerances), and the checks every weight format runs.
enum MatMulChecks {
    /// `MatMul.multiply` of `weights` (`rows × columns`, packed in `format`) with `batch`
    /// vectors of `input` on `kernels`. The output starts as NaN, so a value left unwritten
    /// fails every comparison.
    static func product(
        weights: [UInt8], format: WeightFormat, rows: Int, columns: Int, input: [Float], batch: Int, threads: Int,
        kernels: KernelTable, activations: MatMul.Activations = .int8
    ) -> [Float] {
        let pool = ThreadPool(threadCount: threads)
        let words = MatMul.scratchBytes(format: format, columns: columns, batch: batch) / 8 + 1
        var scratch = [UInt64](repeating: 0, count: words)
        var output = [Float](repeating: .nan, count: batch * rows)
        scratch.withUnsafeMutableBytes { scratch in
            MatMul.multiply(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                output: &output, scratch: scratch.baseAddress!, pool: pool, kernels: kernels, activations: activations)
        }
        return output
    }

    /// The dequantized weights (rows, columns), and Σ|w · x| of each output (batch, rows):
    /// tolerances are relative to what was summed.
    static func magnitudes(
        weights: [UInt8], format: WeightFormat, rows: Int, columns: Int, input: [Float], batch: Int
    ) -> (w: [Float], sums: [Float]) {
        var w = [Float](repeating: 0, count: rows * columns)
        ReferenceKernels.dequantizeRow(format: format, source: weights, destination: &w, count: rows * columns)
        var sums = [Float](repeating: 0, count: batch * rows)
        for b in 0..<batch {
            for r in 0..<rows {
                for c in 0..<columns { sums[b * rows + r] += abs(w[r * columns + c] * input[b * columns + c]) }
            }
        }
        return (w, sums)
    }

    /// Σ over blocks in the x86 tiles' order for row `row` (packed `format` bytes, q4 or
    /// q8) and one prepared vector (`blocks` 40-byte `tern_act_block`s): per block, exact
    /// integer sums, acc = fma(dx · dy, Σ q · y, acc) and for q4 mins = mins + m · s.
    static func blockSums(format: WeightFormat, row: UnsafeRawPointer, prepared: UnsafeRawPointer, blocks: Int) -> Float {
        let isQ4 = format == .q4_0 || format == .q4_1
        var acc: Float = 0, mins: Float = 0
        for i in 0..<blocks {
            let x = row + i * format.bytesPerBlock
            let y = prepared + i * 40
            let dx = ReferenceKernels.half(x, 0)
            let dy = y.loadUnaligned(as: Float.self), s = y.loadUnaligned(fromByteOffset: 4, as: Float.self)
            var sumi = 0
            if isQ4 {
                let qs = x + (format == .q4_1 ? 4 : 2)
                for j in 0..<16 {
                    let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                    sumi += Int(byte & 0x0f) * Int(y.load(fromByteOffset: 8 + j, as: Int8.self))
                    sumi += Int(byte >> 4) * Int(y.load(fromByteOffset: 8 + j + 16, as: Int8.self))
                }
            } else {
                let qs = x + (format == .q8_1 ? 4 : 2)
                for j in 0..<32 {
                    sumi += Int(qs.load(fromByteOffset: j, as: Int8.self)) * Int(y.load(fromByteOffset: 8 + j, as: Int8.self))
                }
            }
            acc = acc.addingProduct(dx * dy, Float(sumi))  // one rounding, as the tiles' fma
            if isQ4 {
                let m = format == .q4_1 ? ReferenceKernels.half(x, 2) : dx
                let offset = m * s
                mins = mins + offset
            }
        }
        return isQ4 ? acc + mins : acc
    }

    /// The product of `weights` (`rows` × `columns` in `format`) with `batch` vectors of
    /// `input`, straight on `kernels`: activations prepared one vector at a time, rows in
    /// two calls split at `split`, as two threads would run them. Returns the prepared
    /// vectors (for `blockSums`) with their size, and the output (NaN where unwritten).
    static func splitProduct(
        kernels: KernelTable, format: WeightFormat, weights: [UInt8], rows: Int, columns: Int, input: [Float],
        batch: Int, split: Int
    ) -> (prepared: [UInt64], preparedBytes: Int, output: [Float]) {
        let id = Int32(format.rawValue)
        let preparedBytes = kernels.preparedBytes(id, Int64(columns))
        var prepared = [UInt64](repeating: 0, count: preparedBytes * batch / 8 + 1)
        var output = [Float](repeating: .nan, count: batch * rows)
        prepared.withUnsafeMutableBytes { prepared in
            let base = prepared.baseAddress!
            input.withUnsafeBufferPointer { input in
                for b in 0..<batch {
                    kernels.prepare(id, input.baseAddress! + b * columns, Int64(columns), base + b * preparedBytes)
                }
            }
            weights.withUnsafeBytes { w in
                for (r0, r1) in [(0, split), (split, rows)] {
                    kernels.multiplyRows(
                        id, w.baseAddress!, Int64(rows), Int64(columns), Int64(r0), Int64(r1), base, Int64(batch), &output)
                }
            }
        }
        return (prepared, preparedBytes, output)
    }

    /// How many of the first `vectors` vectors' outputs (`output[b · rows + r]`) differ in
    /// bits from `blockSums` of source row r (`weights`: `rows` rows packed in `format`)
    /// and prepared vector b (`preparedBytes` apart in `prepared`).
    static func blockSumMismatches(
        format: WeightFormat, weights: [UInt8], rows: Int, columns: Int, prepared: [UInt64], preparedBytes: Int,
        vectors: Int, output: [Float]
    ) -> Int {
        let rowBytes = format.rowBytes(columns)!
        var mismatches = 0
        prepared.withUnsafeBytes { prepared in
            weights.withUnsafeBytes { w in
                for b in 0..<vectors {
                    for r in 0..<rows {
                        let expected = blockSums(
                            format: format, row: w.baseAddress! + r * rowBytes,
                            prepared: prepared.baseAddress! + b * preparedBytes, blocks: columns / 32)
                        if output[b * rows + r].bitPattern != expected.bitPattern { mismatches += 1 }
                    }
                }
            }
        }
        return mismatches
    }

    /// Expects `MatMul.multiply` on every path to give the reference's result on random
    /// data up to f32 summation order: 2e-5 of Σ|w · x|.
    static func expectPathsMatchReference(format: WeightFormat, shape: MatMulShape, seeds: (UInt64, UInt64)) {
        let (rows, columns, batch) = (shape.rows, shape.columns, shape.batch)
        let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: seeds.0)
        let input = TestData.floats(batch * columns, seed: seeds.1)
        var expected = [Float](repeating: 0, count: batch * rows)
        ReferenceKernels.multiply(
            weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch, output: &expected)
        let sums = magnitudes(weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch).sums
        for kernels in KernelTable.available {
            let got = product(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                threads: shape.threads, kernels: kernels)
            for i in 0..<got.count {
                #expect(
                    abs(got[i] - expected[i]) <= sums[i] * 2e-5 + 1e-6,
                    "\(kernels.name) \(format) \(shape) [\(i / rows), \(i % rows)]: \(got[i]) vs reference \(expected[i])")
            }
        }
    }

    /// Expects every path with float activations to equal the f64 product of the dequantized
    /// weights and the input, up to 1e-5 of Σ|w · x|.
    static func expectFloatActivationsExact(format: WeightFormat, shape: MatMulShape, seeds: (UInt64, UInt64)) {
        let (rows, columns, batch) = (shape.rows, shape.columns, shape.batch)
        let weights = TestData.packedWeights(format: format, rows: rows, columns: columns, seed: seeds.0)
        let input = TestData.floats(batch * columns, seed: seeds.1)
        let (w, sums) = magnitudes(weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch)
        for kernels in KernelTable.available {
            let got = product(
                weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
                threads: shape.threads, kernels: kernels, activations: .float)
            for b in 0..<batch {
                for r in 0..<rows {
                    var exact: Double = 0
                    for c in 0..<columns { exact += Double(w[r * columns + c]) * Double(input[b * columns + c]) }
                    let i = b * rows + r
                    #expect(
                        abs(Double(got[i]) - exact) <= Double(sums[i]) * 1e-5 + 1e-6,
                        "\(kernels.name) \(format) \(shape) [\(b), \(r)]: \(got[i]) vs \(exact)")
                }
            }
        }
    }

    /// Expects the reference dot product of a random row with random activations to be the
    /// f32 dot of the dequantized row, up to activation rounding: activations are quantized
    /// to int8 with one scale per `activationBlock` values, so each moves by at most half a step.
    static func expectReferenceDotMatchesDequantized(
        format: WeightFormat, columns: Int, activationBlock n: Int, seeds: (UInt64, UInt64)
    ) {
        let row = TestData.packedWeights(format: format, rows: 1, columns: columns, seed: seeds.0)
        let x = TestData.floats(columns, seed: seeds.1)
        var w = [Float](repeating: 0, count: columns)
        ReferenceKernels.dequantizeRow(format: format, source: row, destination: &w, count: columns)
        var exact: Float = 0
        var bound: Float = 1e-5
        for block in 0..<columns / n {
            let step = (block * n..<block * n + n).map { abs(x[$0]) }.max()! / 127
            for c in block * n..<block * n + n {
                exact += w[c] * x[c]
                bound += abs(w[c]) * step * 0.5 * 1.01
            }
        }
        let dot = ReferenceKernels.dot(format: format, row: row, activations: x, count: columns)
        #expect(abs(dot - exact) <= bound, "\(format): \(dot) vs \(exact)")
        #expect(abs(dot - exact) > 0, "activations are quantized, so the two should differ a little")
    }
}

/// A product of weights in one format: a case of the suites that list formats with shapes.
struct MatMulCase: CustomStringConvertible, Sendable {
    let format: WeightFormat, rows: Int, columns: Int, batch: Int, threads: Int
    var description: String { "\(format) \(rows)x\(columns) batch \(batch) threads \(threads)" }
    var shape: MatMulShape { MatMulShape(rows: rows, columns: columns, batch: batch, threads: threads) }
}
