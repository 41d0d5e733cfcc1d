import CTernKernels
import Synchronization

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

    /// `multiply(gate, up)` followed by `gating(gate + i, up + i, count)` over every
    /// output, as one pool job: each chunk of rows is multiplied by both matrices and then
    /// gated by the thread that computed it (a SwiGLU feed-forward's gate and up products
    /// and its activation), so the elementwise pass needs no pool round trip of its own.
    /// Results are identical to the two steps apart, since `gating` is elementwise.
    /// Allocates nothing.
    /// - Parameters:
    ///   - gate, up: matrices of one shape and format; `gate.output` gets the gated values.
    ///   - input: (batch, columns) floats.
    ///   - scratch: `scratchBytes(format:columns:batch:)` bytes.
    ///   - gating: called concurrently on disjoint ranges; `(gate, up, count)` with
    ///     `gate` to overwrite in place.
    public static func multiplyGated(
        _ gate: Operand, _ up: Operand, input: UnsafePointer<Float>, batch: Int, scratch: UnsafeMutableRawPointer,
        pool: ThreadPool, activations: Activations = .int8,
        gating: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    ) {
        multiplyGated(
            gate, up, input: input, batch: batch, scratch: scratch, pool: pool, kernels: .best, activations: activations,
            gating: gating)
    }

    /// The gated `multiply` on a chosen kernel path (tests compare every path).
    static func multiplyGated(
        _ gate: Operand, _ up: Operand, input: UnsafePointer<Float>, batch: Int, scratch: UnsafeMutableRawPointer,
        pool: ThreadPool, kernels: KernelTable, activations: Activations = .int8,
        gating: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    ) {
        let rows = gate.rows
        guard rows > 0, batch > 0 else { return }
        guard activations == .int8, up.format == gate.format, up.columns == gate.columns, up.rows == rows,
              gate.columns % gate.format.blockSize == 0 else {
            multiply(gate, up, nil, input: input, batch: batch, scratch: scratch, pool: pool, kernels: kernels, activations: activations)
            pool.run { index, count in
                let begin = batch * rows * index / count, end = batch * rows * (index + 1) / count
                gating(gate.output + begin, up.output + begin, end - begin)
            }
            return
        }
        let prepared = prepare(
            input: input, format: gate.format, columns: gate.columns, batch: batch, scratch: scratch, pool: pool,
            kernels: kernels)
        let chunk = chunkRows(rows, format: gate.format, threads: pool.threadCount)
        let chunks = (rows + chunk - 1) / chunk
        let format = Int32(gate.format.rawValue), columns = Int64(gate.columns)
        func run(chunk c: Int) {
            let begin = c * chunk, end = min(rows, begin + chunk)
            kernels.multiplyRows(
                format, gate.weights, Int64(rows), columns, Int64(begin), Int64(end), prepared, Int64(batch), gate.output)
            kernels.multiplyRows(
                format, up.weights, Int64(rows), columns, Int64(begin), Int64(end), prepared, Int64(batch), up.output)
            for b in 0..<batch { gating(gate.output + b * rows + begin, up.output + b * rows + begin, end - begin) }
        }
        if #available(macOS 15, *) {
            // Threads claim chunks as they come free, as in the grouped product: a thread
            // whose core another process holds takes fewer.
            let next = Atomic<Int>(0)
            pool.run { _, _ in
                while case let c = next.wrappingAdd(1, ordering: .relaxed).oldValue, c < chunks { run(chunk: c) }
            }
        } else {
            pool.run { index, count in
                for c in stride(from: index, to: chunks, by: count) { run(chunk: c) }
            }
        }
    }

    /// Runs one to three products of the same prepared input as one pool job.
    static func run(
        _ first: Operand, _ second: Operand?, _ third: Operand?, prepared: UnsafeRawPointer, batch: Int,
        pool: ThreadPool, kernels: KernelTable, activations: Activations
    ) {
        func part(_ o: Operand?) -> tern_matmul_part {
            guard let o else { return tern_matmul_part(weights: nil, rows: 0, output: nil, chunk_rows: 1) }
            return tern_matmul_part(
                weights: o.weights, rows: Int64(o.rows), output: o.output,
                chunk_rows: Int64(chunkRows(o.rows, format: o.format, threads: pool.threadCount)))
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

    /// Rows per chunk of a product split across `threads`. Threads claim chunks as they
    /// come free: about four per thread, so a thread whose core is busy delays little.
    /// A multiple of eight rows, so batched products run whole register tiles; for
    /// t2_64r a multiple of its 32-row groups (q4_0r, q4_1r: 8), so that every chunk
    /// computes exactly its own rows (the kernels compute whole groups) and chunks carry
    /// equal work.
    static func chunkRows(_ rows: Int, format: WeightFormat, threads: Int) -> Int {
        let chunks = threads == 1 ? 1 : threads * 4
        let quantum = format == .t2_64r ? 32 : 8
        return max(16, ((rows + chunks - 1) / chunks + quantum - 1) / quantum * quantum)
    }
}
