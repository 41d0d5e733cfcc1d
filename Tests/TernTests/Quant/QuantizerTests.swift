import Foundation
import Testing
import TernKernels
@testable import Tern

/// `Quantizer` end to end on a tiny random Llama: what it writes and how faithfully.
@Suite("Quantizer: files written, metadata, accuracy")
struct QuantizerTests {
    static func quantize(
        _ input: String, to type: WeightFormat, in directory: TemporaryDirectory, name: String? = nil,
        configure: (inout QuantizationOptions) -> Void = { _ in }
    ) throws -> (path: String, summary: QuantizationSummary) {
        var options = QuantizationOptions(type: type, threadCount: 2)
        configure(&options)
        let path = directory.file(name ?? "tiny-\(type).gguf")
        let summary = try Quantizer(options: options).quantize(input: input, output: path)
        return (path, summary)
    }

    /// The tensor's values as f32, whatever its stored format.
    static func values(_ file: GGUFFile, _ name: String) throws -> [Float] {
        let info = try #require(file.tensorInfo(name))
        let format = try #require(info.type.format)
        var result = [Float](repeating: 0, count: info.elementCount)
        let bytes = file.bytes(of: info)
        let rowBytes = format.rowBytes(info.rowLength)!
        result.withUnsafeMutableBufferPointer { out in
            for row in 0..<info.rowCount {
                RowQuantization.dequantizeRow(
                    format: format, source: bytes.baseAddress! + row * rowBytes,
                    destination: out.baseAddress! + row * info.rowLength, count: info.rowLength)
            }
        }
        return result
    }

    @Test("the output has the planned types, every input key, llama.cpp's file type and a tern.quantize record")
    func metadata() throws {
        let directory = try TemporaryDirectory()
        let input = try TinyModel().write(in: directory)
        let (path, summary) = try Self.quantize(input, to: .q4_0, in: directory) {
            $0.overrides = [try! TensorTypeOverride(parsing: "ffn_down=q8_0")]
        }
        let source = try GGUFFile(path: input), output = try GGUFFile(path: path)
        #expect(output.tensors.map(\.name) == source.tensors.map(\.name))
        for entry in summary.plan.entries {
            #expect(output.tensorInfo(entry.tensor.name)?.type == entry.target)
        }
        #expect(output.tensorInfo("blk.0.attn_q.weight")?.type.name == "q4_0")
        #expect(output.tensorInfo("blk.1.ffn_down.weight")?.type.name == "q8_0")
        #expect(output.tensorInfo("token_embd.weight")?.type.name == "q8_0")  // tied: the output head
        #expect(output.tensorInfo("output_norm.weight")?.type.name == "f32")
        for key in source.metadataKeys where key != "general.file_type" {
            #expect(output.metadata[key] == source.metadata[key], "\(key)")
        }
        #expect(output.int("general.file_type") == 2)
        #expect(output.int("general.quantization_version") == 2)
        #expect(output.string("tern.quantize.type") == "q4_0")
        #expect(output.int("tern.quantize.version") == 1)
        #expect(output.bool("tern.quantize.pure") == false)
        #expect(try output.stringArray("tern.quantize.overrides") == ["ffn_down=q8_0"])
        #expect(summary.outputFileBytes == output.fileSize && summary.inputFileBytes == source.fileSize)
        #expect(summary.line.contains("bits/weight"))
    }

    @Test("f32 → q8_0 → f32: every value within 0.57 of its block's step (half a step, plus the f16 scale's rounding)")
    func q8RoundTrip() throws {
        let directory = try TemporaryDirectory()
        let input = try TinyModel().write(in: directory)
        let (quantized, _) = try Self.quantize(input, to: .q8_0, in: directory)
        let (restored, _) = try Self.quantize(quantized, to: .f32, in: directory, name: "restored.gguf")
        let original = try GGUFFile(path: input), back = try GGUFFile(path: restored)
        #expect(back.tensors.allSatisfy { $0.type.name == "f32" })
        for name in ["blk.0.attn_q.weight", "blk.1.ffn_down.weight", "token_embd.weight"] {
            let x = try Self.values(original, name), y = try Self.values(back, name)
            #expect(x.count == y.count)
            var worst: Float = 0
            for block in stride(from: 0, to: x.count, by: 32) {
                let amax = x[block..<block + 32].map(abs).max()!
                let step = amax / 127
                for i in block..<block + 32 { worst = max(worst, abs(x[i] - y[i]) / max(step, .leastNormalMagnitude)) }
            }
            #expect(worst <= 0.57, "\(name): worst error is \(worst) steps")
            #expect(worst > 0.3, "\(name): a real quantizer errs by up to half a step; \(worst) is suspicious")
        }
    }

    @Test("f32 → f16 → f32 keeps 11 significant bits; q8_0 → f32 → q8_0 restores the q8_0 bytes exactly")
    func losslessDirections() throws {
        let directory = try TemporaryDirectory()
        let input = try TinyModel().write(in: directory)
        let (half, _) = try Self.quantize(input, to: .f16, in: directory)
        let original = try GGUFFile(path: input), halfFile = try GGUFFile(path: half)
        let x = try Self.values(original, "blk.0.ffn_up.weight"), y = try Self.values(halfFile, "blk.0.ffn_up.weight")
        #expect(zip(x, y).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-11 + 0x1p-24 })

        let (q8, _) = try Self.quantize(input, to: .q8_0, in: directory)
        let (f32, _) = try Self.quantize(q8, to: .f32, in: directory, name: "f32.gguf")
        let (again, _) = try Self.quantize(f32, to: .q8_0, in: directory, name: "again.gguf")
        let first = try GGUFFile(path: q8), second = try GGUFFile(path: again)
        for tensor in first.tensors {
            let other = try #require(second.tensorInfo(tensor.name))
            #expect(sameBytes(first.bytes(of: tensor), second.bytes(of: other)), "\(tensor.name)")
        }
    }

    @Test("a row that is not whole blocks falls back to f16 in the file, values kept to f16 precision")
    func fallbackWritten() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.setMetadata("general.architecture", .string("llama"))
        let values = (0..<48 * 4).map { Float($0 % 17) * 0.125 - 1 }
        writer.addTensor(name: "odd.weight", shape: [48, 4], type: GGMLType(.f32), data: values.withUnsafeBytes { Array($0) })
        let input = directory.file("odd.gguf")
        try writer.write(to: input)
        let (path, summary) = try Self.quantize(input, to: .q4_0, in: directory)
        let file = try GGUFFile(path: path)
        #expect(file.tensorInfo("odd.weight")?.type.name == "f16")
        #expect(try Self.values(file, "odd.weight") == values)  // multiples of 1/8 are exact in f16
        #expect(summary.plan.notes.count == 1)
    }

    @Test("the quantized model runs: q8_0 logits stay close to the f32 model's")
    func quantizedModelRuns() throws {
        let directory = try TemporaryDirectory()
        let input = try TinyModel().write(in: directory)
        let (q8, _) = try Self.quantize(input, to: .q8_0, in: directory)
        let (q4, _) = try Self.quantize(input, to: .q4_0, in: directory)
        let reference = try Self.logits(input), eight = try Self.logits(q8), four = try Self.logits(q4)
        let scale = reference.map(abs).max()!
        let error8 = zip(reference, eight).map { abs($0 - $1) }.max()!
        let error4 = zip(reference, four).map { abs($0 - $1) }.max()!
        #expect(four.allSatisfy { $0.isFinite })
        #expect(error8 < 0.02 * scale, "q8_0 logits differ by \(error8) (scale \(scale))")
        #expect(error8 < error4, "q8_0 (\(error8)) should be closer than q4_0 (\(error4))")
    }

    /// Last-position logits of a short prompt.
    static func logits(_ path: String) throws -> [Float] {
        let model = try LlamaModel(file: GGUFFile(path: path))
        let tokens = [1, 5, 9, 2, 33]
        let cache = KVCache(config: model.config, capacity: 8)
        let workspace = ForwardWorkspace(model: model, maxTokens: 8, maxLogitRows: 1)
        let pool = ThreadPool(threadCount: 1)
        return Array(tokens.withUnsafeBufferPointer {
            model.forward(tokens: $0, startPosition: 0, cache: cache, workspace: workspace, pool: pool, activations: .float)
        })
    }

    @Test("progress counts every value once, in order, and ends complete")
    func progress() throws {
        let directory = try TemporaryDirectory()
        let input = try TinyModel().write(in: directory)
        var reports: [QuantizationProgress] = []
        let quantizer = Quantizer(options: .init(type: .q4_0, threadCount: 2))
        let summary = try quantizer.quantize(input: input, output: directory.file("out.gguf")) {
            reports.append($0)
            return true
        }
        let last = try #require(reports.last)
        #expect(last.elementsDone == summary.plan.elementCount && last.tensorsDone == summary.plan.entries.count)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.elementsDone <= $1.elementsDone })
        #expect(last.fraction == 1)
    }
}
