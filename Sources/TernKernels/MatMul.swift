import CTernKernels

/// Matrix products of packed weights with f32 activations, split across a
/// thread pool: the operation a model spends nearly all its time in.
///
/// Quantized weights meet quantized activations, as in llama.cpp: each input
/// vector is quantized once per product to 8-bit blocks (q8_1-style for q4_1
/// weights, q8_0-style otherwise) and every block product is summed in integers.
/// Float weights (f32, f16, bf16) are multiplied with the f32 input directly.
public enum MatMul {
    /// How activations meet quantized weights.
    public enum Activations: Sendable {
        /// Quantized to 8-bit blocks once per product, as llama.cpp does: fastest.
        case int8
        /// Kept in f32; weight rows are expanded to f32 in L1. Slower per product but
        /// exact up to float rounding: used for prompt processing, where the batch
        /// amortises the expansion.
        case float
    }

    /// Bytes of scratch `multiply` needs for this shape: the quantized copy of
    /// the input (0 for float formats).
    /// - Parameters:
    ///   - format: the weight format.
    ///   - columns: values per weight row (the input vector length).
    ///   - batch: input vectors per product.
    public static func scratchBytes(format: WeightFormat, columns: Int, batch: Int) -> Int {
        KernelTable.best.preparedBytes(Int32(format.rawValue), Int64(columns)) * batch
    }

    /// output[b · rows + r] = Σ_c W[r, c] · input[b · columns + c], for b < batch, r < rows.
    ///
    /// Threads claim contiguous chunks of rows and read each weight row once
    /// for the whole batch, so a batched decode step or a prefill chunk streams
    /// the weights from memory once. Allocates nothing.
    /// - Parameters:
    ///   - weights: `rows` packed rows of `columns` values in `format` (row-major,
    ///     ggml layout), `rows · format.rowBytes(columns)` bytes.
    ///   - format: the weight format.
    ///   - rows: output values per input vector.
    ///   - columns: values per row; a multiple of `format.blockSize`.
    ///   - input: (batch, columns) floats.
    ///   - batch: input vectors.
    ///   - output: (batch, rows) floats.
    ///   - scratch: `scratchBytes(format:columns:batch:)` bytes, 8-byte aligned.
    ///   - pool: the threads to split rows across.
    public static func multiply(
        weights: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int,
        input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutableRawPointer, pool: ThreadPool, activations: Activations = .int8
    ) {
        multiply(
            weights: weights, format: format, rows: rows, columns: columns, input: input, batch: batch,
            output: output, scratch: scratch, pool: pool, kernels: .best, activations: activations)
    }

    /// `multiply` on a chosen kernel path (tests compare every path).
    static func multiply(
        weights: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int,
        input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutableRawPointer, pool: ThreadPool, kernels: KernelTable, activations: Activations = .int8
    ) {
        precondition(rows >= 0 && batch >= 0 && columns >= 0, "shape must not be negative")
        precondition(columns % format.blockSize == 0, "columns must be a whole number of blocks")
        guard rows > 0, batch > 0 else { return }
        let product = Operand(weights: weights, format: format, rows: rows, columns: columns, output: output)
        let prepared = activations == .float
            ? UnsafeRawPointer(input)
            : prepare(input: input, format: format, columns: columns, batch: batch, scratch: scratch, pool: pool, kernels: kernels)
        run(product, nil, nil, prepared: prepared, batch: batch, pool: pool, kernels: kernels, activations: activations)
    }

    /// The input as the weights' dot products read it: `batch` prepared vectors in
    /// `scratch` for quantized formats, `input` itself for float ones.
    static func prepare(
        input: UnsafePointer<Float>, format: WeightFormat, columns: Int, batch: Int,
        scratch: UnsafeMutableRawPointer, pool: ThreadPool, kernels: KernelTable
    ) -> UnsafeRawPointer {
        let formatID = Int32(format.rawValue)
        let preparedBytes = kernels.preparedBytes(formatID, Int64(columns))
        guard preparedBytes > 0 else { return UnsafeRawPointer(input) }
        // (batch, preparedBytes): input vectors quantized once for all rows.
        if batch == 1 {
            kernels.prepare(formatID, input, Int64(columns), scratch)
        } else {
            pool.run { index, count in
                for b in stride(from: index, to: batch, by: count) {
                    kernels.prepare(formatID, input + b * columns, Int64(columns), scratch + b * preparedBytes)
                }
            }
        }
        return UnsafeRawPointer(scratch)
    }
}
