import Foundation
import Testing
import TernKernels
@testable import Tern

/// `tern quantize` against llama-quantize on the real default model: the same bytes,
/// checked through the digests in `Fixtures/quantize/` (see its README).
@Suite("Quantizing the default model gives llama-quantize's bytes", .serialized)
struct LlamaCppQuantizeTests {
    /// Fixture digests by type, then tensor name ("all" for every tensor in name order).
    static func fixture() throws -> [String: [String: String]] {
        let text = try String(contentsOf: TestModel.fixture("quantize/llama-quantize-smollm2.txt"), encoding: .utf8)
        var digests: [String: [String: String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3 else { continue }
            digests[fields[0], default: [:]][fields[1]] = fields[2]
        }
        return digests
    }

    /// Digest of every tensor's bytes in name order ("all"), and of each of `names` alone.
    static func digests(of file: GGUFFile, names: Set<String>) -> [String: String] {
        var all = SHA256()
        var result: [String: String] = [:]
        for tensor in file.tensors.sorted(by: { $0.name < $1.name }) {
            let bytes = file.bytes(of: tensor)
            all.update(bytes)
            if names.contains(tensor.name) { result[tensor.name] = SHA256.hex(bytes) }
        }
        result["all"] = all.hexDigest()
        return result
    }

    /// Quantizes the default model with `--pure`, as the fixture was made, and checks every digest.
    func quantizeAndCompare(_ format: WeightFormat, in directory: TemporaryDirectory) throws -> String {
        let expected = try #require(try Self.fixture()[format.name])
        #expect(expected.count >= 7)
        let output = directory.file("smollm2-\(format).gguf")
        let options = QuantizationOptions(type: format, pure: true, threadCount: 2)
        try Quantizer(options: options).quantize(input: TestModel.path(), output: output)
        let file = try GGUFFile(path: output)
        #expect(file.tensors.count == 272)
        let actual = Self.digests(of: file, names: Set(expected.keys))
        for (name, digest) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(actual[name] == digest, "\(format) \(name) differs from llama-quantize's")
        }
        return output
    }

    @Test("q4_0 and q4_1 --pure: every tensor byte-identical", arguments: [WeightFormat.q4_0, .q4_1])
    func identical(format: WeightFormat) throws {
        let directory = try TemporaryDirectory()
        _ = try quantizeAndCompare(format, in: directory)
    }

    @Test("q8_0 --pure: byte-identical, and the file still generates llama.cpp's first greedy tokens")
    func q8Generates() async throws {
        let directory = try TemporaryDirectory()
        let path = try quantizeAndCompare(.q8_0, in: directory)
        let loaded = try LoadedModel(path: path)
        let engine = try LLMEngine(
            model: loaded, modelName: "q8_0", chatTemplate: .chatml,
            configuration: EngineConfiguration(contextLength: 64, maxSequences: 1, threadCount: 2))
        var compared = 0
        for reference in try GreedyReference.all() {
            // The reference ran on Q4_1; requantizing to q8_0 moves logits by a few tenths,
            // so compare the tokens before llama.cpp's first margin under 0.5.
            let count = reference.steps.firstIndex { $0.margin < 0.5 } ?? reference.steps.count
            var params = SamplingParams.greedy
            params.maxTokens = max(count, 1)
            var tokens: [Int] = []
            for await event in try engine.submit(GenerationRequest(promptTokens: reference.promptTokens, params: params)) {
                if case let .token(t) = event { tokens.append(t.token) }
            }
            #expect(Array(tokens.prefix(count)) == Array(reference.generatedTokens.prefix(count)), "\(reference.prompt)")
            compared += count
        }
        #expect(compared >= 5)
    }

    @Test("decoding the Q4_1 model gives llama.cpp's f32 file, and q4_1 re-encodes it to the same bytes")
    func exactDecode() throws {
        let fixture = try Self.fixture()
        let f32 = try #require(fixture["f32"]), q41 = try #require(fixture["q4_1"])
        let model = try GGUFFile(path: TestModel.path())
        for name in f32.keys where name != "all" {
            let tensor = try #require(model.tensorInfo(name))
            let from = try #require(tensor.type.format)
            var values = [Float](repeating: 0, count: tensor.elementCount)
            var packed = [UInt8](repeating: 0, count: WeightFormat.q4_1.rowBytes(tensor.rowLength)! * tensor.rowCount)
            let source = model.bytes(of: tensor)
            values.withUnsafeMutableBufferPointer { floats in
                packed.withUnsafeMutableBytes { out in
                    for row in 0..<tensor.rowCount {
                        let x = floats.baseAddress! + row * tensor.rowLength
                        RowQuantization.dequantizeRow(
                            format: from, source: source.baseAddress! + row * from.rowBytes(tensor.rowLength)!,
                            destination: x, count: tensor.rowLength)
                        RowQuantization.quantizeRow(
                            format: .q4_1, source: x, destination: out.baseAddress! + row * (out.count / tensor.rowCount),
                            count: tensor.rowLength)
                    }
                }
            }
            #expect(values.withUnsafeBytes { SHA256.hex($0) } == f32[name], "f32 \(name)")
            #expect(packed.withUnsafeBytes { SHA256.hex($0) } == q41[name], "q4_1 \(name)")
        }
    }
}
