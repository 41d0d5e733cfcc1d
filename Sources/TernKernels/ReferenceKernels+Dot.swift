extension ReferenceKernels {
    /// The activation format a weight format's dot product pairs with, as in
    /// llama.cpp: activations are quantized once, then dotted in integers.
    static func activationFormat(for format: WeightFormat) -> WeightFormat {
        switch format {
        case .f32, .f16, .bf16: .f32
        case .q4_0, .q8_0, .q8_1, .q4_0r: .q8_0
        case .mxfp4, .nvfp4: .q8_0
        case .q4_1, .q4_1r: .q8_1
        case .tq1_0, .tq2_0, .t2_64, .t2_64r: .q8_0  // grouped per weight block: ternaryDot
        }
    }

    /// Σ W[c] · x[c] for one weight row, computed as the fast kernels (and
    /// llama.cpp) do: float formats multiply in f32; quantized formats first
    /// quantize `activations` to q8_0 (q4_0, q8_0) or q8_1 (q4_1), then sum
    /// integer products per block and scale by the two block scales.
    /// - Parameters:
    ///   - format: the layout of `row`.
    ///   - row: `format.rowBytes(count)` bytes.
    ///   - activations: `count` floats.
    ///   - count: values in the row; a multiple of `format.blockSize`.
    public static func dot(format: WeightFormat, row: UnsafeRawPointer, activations: UnsafePointer<Float>, count: Int)
        -> Float
    {
        precondition(!format.isRepacked, "\(format) rows are interleaved: use the file format's tensor for reference products")
        if format.isTernary { return ternaryDot(format: format, row: row, activations: activations, count: count) }
        let activationFormat = activationFormat(for: format)
        if activationFormat == .f32 {
            let w = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { w.deallocate() }
            dequantizeRow(format: format, source: row, destination: w, count: count)
            var sum: Float = 0
            for c in 0..<count { sum += w[c] * activations[c] }
            return sum
        }
        let blocks = count / 32
        let y = UnsafeMutableRawPointer.allocate(byteCount: blocks * activationFormat.bytesPerBlock, alignment: 8)
        defer { y.deallocate() }
        quantizeActivations(format: activationFormat, source: activations, destination: y, count: count)
        if format == .mxfp4 || format == .nvfp4 { return dotFP4(format: format, row: row, q8: y, count: count) }
        var sum: Float = 0
        for i in 0..<blocks {
            let x = row + i * format.bytesPerBlock
            let b = y + i * activationFormat.bytesPerBlock
            let yq = b + (activationFormat == .q8_1 ? 4 : 2)
            let dxdy = half(x, 0) * half(b, 0)
            switch format {
            case .q4_0:
                var sumi = 0
                for j in 0..<16 {
                    let byte = x.load(fromByteOffset: 2 + j, as: UInt8.self)
                    sumi += (Int(byte & 0x0f) - 8) * Int(yq.load(fromByteOffset: j, as: Int8.self))
                    sumi += (Int(byte >> 4) - 8) * Int(yq.load(fromByteOffset: j + 16, as: Int8.self))
                }
                sum += Float(sumi) * dxdy
            case .q4_1:
                var sumi = 0
                for j in 0..<16 {
                    let byte = x.load(fromByteOffset: 4 + j, as: UInt8.self)
                    sumi += Int(byte & 0x0f) * Int(yq.load(fromByteOffset: j, as: Int8.self))
                    sumi += Int(byte >> 4) * Int(yq.load(fromByteOffset: j + 16, as: Int8.self))
                }
                sum += dxdy * Float(sumi) + half(x, 2) * half(b, 2)
            case .q8_0, .q8_1:
                let xq = x + (format == .q8_0 ? 2 : 4)
                var sumi = 0
                for j in 0..<32 {
                    sumi += Int(xq.load(fromByteOffset: j, as: Int8.self)) * Int(yq.load(fromByteOffset: j, as: Int8.self))
                }
                sum += Float(sumi) * dxdy
            case .f32, .f16, .bf16:
                preconditionFailure("float formats return above")
            case .mxfp4, .nvfp4:
                preconditionFailure("FP4 formats return above")
            case .tq1_0, .tq2_0, .t2_64, .t2_64r:
                preconditionFailure("ternary formats return above")
            case .q4_0r, .q4_1r:
                preconditionFailure("repacked formats fail the precondition above")
            }
        }
        return sum
    }

    /// output[b · rows + r] = dot(W[r], input[b · columns ..< (b + 1) · columns]).
    /// The scalar matrix product that `MatMul.multiply` must agree with.
    /// - Parameters:
    ///   - weights: `rows` packed rows of `columns` values in `format`.
    ///   - input: (batch, columns) floats.
    ///   - output: (batch, rows) floats.
    public static func multiply(
        weights: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int,
        input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>
    ) {
        let rowBytes = columns / format.blockSize * format.bytesPerBlock
        for b in 0..<batch {
            for r in 0..<rows {
                output[b * rows + r] = dot(
                    format: format, row: weights + r * rowBytes, activations: input + b * columns, count: columns)
            }
        }
    }
}
