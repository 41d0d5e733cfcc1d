import CTernKernels

extension MatMul {
    /// One weight matrix of a grouped product: `output` gets (batch, rows) floats.
    public struct Operand {
        public var weights: UnsafeRawPointer
        public var format: WeightFormat
        public var rows: Int
        public var columns: Int
        public var output: UnsafeMutablePointer<Float>

        /// - Parameters:
        ///   - weights: `rows` packed rows of `columns` values in `format`.
        ///   - output: room for (batch, rows) floats.
        public init(
            weights: UnsafeRawPointer, format: WeightFormat, rows: Int, columns: Int, output: UnsafeMutablePointer<Float>
        ) {
            self.weights = weights
            self.format = format
            self.rows = rows
            self.columns = columns
            self.output = output
        }
    }

    /// `multiply` of one input by two or three matrices (a layer's query, key and
    /// value, or gate and up), with results identical to separate calls.
    ///
    /// When the matrices share a format and a column count (the usual case), the
    /// input is prepared once and all their rows go out in one pool job: one round
    /// trip through the pool instead of three, and no repeated quantization. Each
    /// matrix is cut into the chunks a lone product would use, so every row sees the
    /// same arithmetic. Otherwise the products run one after the other. Allocates nothing.
    /// - Parameters:
    ///   - input: (batch, columns) floats.
    ///   - scratch: `scratchBytes(format:columns:batch:)` bytes for the largest operand.
    public static func multiply(
        _ first: Operand, _ second: Operand, _ third: Operand? = nil,
        input: UnsafePointer<Float>, batch: Int, scratch: UnsafeMutableRawPointer, pool: ThreadPool,
        activations: Activations = .int8
    ) {
        multiply(
            first, second, third, input: input, batch: batch, scratch: scratch, pool: pool, kernels: .best,
            activations: activations)
    }

    /// The grouped `multiply` on a chosen kernel path (tests compare every path).
    static func multiply(
        _ first: Operand, _ second: Operand, _ third: Operand?,
        input: UnsafePointer<Float>, batch: Int, scratch: UnsafeMutableRawPointer, pool: ThreadPool,
        kernels: KernelTable, activations: Activations = .int8
    ) {
        // Checked without arrays: this runs several times per layer of a decode step.
        func fits(_ o: Operand?) -> Bool {
            guard let o else { return true }
            return o.format == first.format && o.columns == first.columns && o.rows > 0
        }
        guard first.rows > 0, first.columns % first.format.blockSize == 0, fits(second), fits(third), batch > 0 else {
            func alone(_ o: Operand?) {
                guard let o else { return }
                multiply(
                    weights: o.weights, format: o.format, rows: o.rows, columns: o.columns, input: input, batch: batch,
                    output: o.output, scratch: scratch, pool: pool, kernels: kernels, activations: activations)
            }
            alone(first)
            alone(second)
            alone(third)
            return
        }
        let prepared = activations == .float
            ? UnsafeRawPointer(input)
            : prepare(input: input, format: first.format, columns: first.columns, batch: batch, scratch: scratch, pool: pool, kernels: kernels)
        run(first, second, third, prepared: prepared, batch: batch, pool: pool, kernels: kernels, activations: activations)
    }

    /// Runs one to three products of the same prepared input as one pool job.
    static func run(
        _ first: Operand, _ second: Operand?, _ third: Operand?, prepared: UnsafeRawPointer, batch: Int,
        pool: ThreadPool, kernels: KernelTable, activations: Activations
    ) {
        // Rows go out in chunks that threads claim as they come free: about four
        // per thread, so a thread whose core is busy delays little. A multiple of
        // four rows, so batched products run whole register tiles.
        let chunks = pool.threadCount == 1 ? 1 : pool.threadCount * 4
        func part(_ o: Operand?) -> tern_matmul_part {
            guard let o else { return tern_matmul_part(weights: nil, rows: 0, output: nil, chunk_rows: 1) }
            return tern_matmul_part(
                weights: o.weights, rows: Int64(o.rows), output: o.output,
                chunk_rows: Int64(max(16, ((o.rows + chunks - 1) / chunks + 3) / 4 * 4)))
        }
        let count = 1 + (second == nil ? 0 : 1) + (third == nil ? 0 : 1)
        var group = tern_matmul_group(
            kernels: kernels.table, format: Int32(first.format.rawValue), float_activations: activations == .float ? 1 : 0,
            columns: Int64(first.columns), activations: prepared, batch: Int64(batch), count: Int64(count),
            parts: (part(first), part(second), part(third)), next_chunk: 0)
        withUnsafeMutablePointer(to: &group) { group in
            tern_pool_run(pool.pool, tern_matmul_group_job, group)
        }
    }
}
