import Testing
import TernKernels
@testable import Tern

@Suite("Output head: repacked whenever the kernels allow, whatever the layers' format")
struct RepackedHeadTests {
    @Test("a ternary head over q8_0 layers is repacked, and the workspace sized from the model holds its tables")
    func ternaryHeadOverQ8Layers() throws {
        let directory = try TemporaryDirectory()
        // Tied (no output.weight), so token_embd takes the output type: 80 rows of 256.
        let input = try TinyModel(dim: 256, heads: 4, kvHeads: 2, ffn: 256).write(in: directory)
        let (path, _) = try QuantizerTests.quantize(input, to: .q8_0, in: directory) { $0.outputType = .tq2_0 }
        let model = try LlamaModel(file: GGUFFile(path: path))
        let file = model.weights.output
        #expect(file.format == .tq2_0)
        #expect(model.weights.layers.allSatisfy { $0.query.format == .q8_0 && $0.down.format == .q8_0 })
        let repacks = TernaryRepacking.repackedFormat(for: file.format, rows: file.rows, columns: file.columns) != nil
        #expect(model.head.format == (repacks ? .t2_64r : .tq2_0))

        let tokens = [3, 17, 42, 5]
        let work = ForwardWorkspace(model: model, maxTokens: tokens.count, maxLogitRows: tokens.count)
        #expect(work.scratchBytes >= MatMul.scratchBytes(format: model.head.format, columns: file.columns, batch: tokens.count))
        let pool = ThreadPool(threadCount: 2)
        let cache = KVCache(config: model.config, capacity: 8)
        let logits = Array(tokens.withUnsafeBufferPointer {
            model.forward(
                tokens: $0, startPosition: 0, cache: cache, workspace: work, pool: pool, logitRows: tokens.count,
                activations: .float)
        })

        // The same product from the file's tq2_0 rows, on the head's input the pass left in
        // `normed`. With f32 activations both are within 1e-5 of the exact product.
        var expected = [Float](repeating: 0, count: logits.count)
        var scratch = [UInt64](
            repeating: 0, count: MatMul.scratchBytes(format: file.format, columns: file.columns, batch: tokens.count) / 8 + 1)
        scratch.withUnsafeMutableBytes { scratch in
            MatMul.multiply(
                weights: file.data, format: file.format, rows: file.rows, columns: file.columns, input: work.normed,
                batch: tokens.count, output: &expected, scratch: scratch.baseAddress!, pool: pool,
                activations: .float)
        }
        let largest = expected.map(abs).max() ?? 0
        let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest > 0.1 && logits.allSatisfy(\.isFinite))
        #expect(worst <= largest * 1e-4, "largest difference \(worst) of logits up to \(largest)")
    }
}
