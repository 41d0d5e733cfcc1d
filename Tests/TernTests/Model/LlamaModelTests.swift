import Foundation
import Testing
import TernKernels
import Tern

@Suite("Llama model: loading checks and forward-pass consistency")
struct LlamaModelTests {
    func load(_ tiny: TinyModel) throws -> LlamaModel {
        let directory = try TemporaryDirectory()
        return try LlamaModel(file: GGUFFile(path: tiny.write(in: directory)))
    }

    func loadError(_ tiny: TinyModel) throws -> ModelError? {
        do {
            _ = try load(tiny)
            return nil
        } catch let error as ModelError {
            return error
        }
    }

    @Test("reads the config from metadata")
    func config() throws {
        let model = try load(TinyModel())
        let c = model.config
        #expect(c.embeddingLength == 64 && c.layerCount == 2 && c.headCount == 4 && c.kvHeadCount == 2)
        #expect(c.headDimension == 16 && c.ropeDimensionCount == 16 && c.vocabularySize == 80)
        #expect(c.queryDimension == 64 && c.kvDimension == 32)
    }

    @Test("an unknown architecture is refused by name")
    func unknownArchitecture() throws {
        let error = try loadError(TinyModel(architecture: "mamba"))
        guard case .unsupportedArchitecture(_, "mamba") = error else {
            Issue.record("expected unsupportedArchitecture, got \(String(describing: error))")
            return
        }
        #expect(error!.description.contains("'mamba'"))
    }

    @Test("a missing tensor is named")
    func missingTensor() throws {
        let error = try loadError(TinyModel(omit: ["blk.1.ffn_up.weight"]))
        #expect(error == .missingTensor(path: error.map(path) ?? "", name: "blk.1.ffn_up.weight"))
    }

    @Test("a tensor whose shape disagrees with the config is refused with both shapes")
    func wrongShape() throws {
        let error = try loadError(TinyModel(shapeOverride: ["blk.0.attn_q.weight": [64, 32]]))
        #expect(error == .wrongShape(path: error.map(path) ?? "", tensor: "blk.0.attn_q.weight", expected: [64, 64], got: [64, 32]))
    }

    @Test("a tensor type without kernels is refused with advice")
    func unsupportedType() throws {
        var tiny = TinyModel()
        tiny.typeOverride = ["blk.0.attn_norm.weight": GGMLType(id: 26)!]  // i32: same bytes as f32, no kernels
        let error = try loadError(tiny)
        guard case .unsupportedTensorType(_, "blk.0.attn_norm.weight", "i32") = error else {
            Issue.record("expected unsupportedTensorType, got \(String(describing: error))")
            return
        }
        #expect(error!.description.contains("tern quantize"))
    }

    @Test("a batched prefill gives the same logits as feeding tokens one by one", arguments: [1, 2])
    func batchedEqualsSequential(threads: Int) throws {
        let model = try load(TinyModel())
        let tokens = [3, 17, 42, 5, 79, 0, 11, 23, 61]
        let vocabulary = model.config.vocabularySize
        let pool = ThreadPool(threadCount: threads)

        let batchCache = KVCache(config: model.config, capacity: 16)
        let batchWork = ForwardWorkspace(config: model.config, weights: model.weights, maxTokens: tokens.count,
                                         maxLogitRows: tokens.count)
        let batched = Array(tokens.withUnsafeBufferPointer {
            model.forward(tokens: $0, startPosition: 0, cache: batchCache, workspace: batchWork, pool: pool, logitRows: tokens.count)
        })

        let stepCache = KVCache(config: model.config, capacity: 16)
        let stepWork = ForwardWorkspace(config: model.config, weights: model.weights, maxTokens: 1,
                                        maxLogitRows: 1)
        for (position, token) in tokens.enumerated() {
            let logits = Array([token].withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: position, cache: stepCache, workspace: stepWork, pool: pool)
            })
            let row = batched[position * vocabulary..<(position + 1) * vocabulary]
            let worst = zip(logits, row).map { abs($0 - $1) }.max()!
            // Attention keeps values in f16 (2^-11 relative), so summation order shows up at ~1e-3.
            #expect(worst < 5e-3, "position \(position): largest difference \(worst)")
            #expect(logits.allSatisfy { $0.isFinite })
        }
    }
}

private func path(_ error: ModelError) -> String {
    switch error {
    case let .missingTensor(path, _), let .wrongShape(path, _, _, _), let .unsupportedTensorType(path, _, _),
        let .unsupportedArchitecture(path, _), let .invalidConfig(path, _):
        path
    default: ""
    }
}
