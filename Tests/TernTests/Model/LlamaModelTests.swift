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
        let batchWork = ForwardWorkspace(model: model, maxTokens: tokens.count,
                                         maxLogitRows: tokens.count)
        let batched = Array(tokens.withUnsafeBufferPointer {
            model.forward(tokens: $0, startPosition: 0, cache: batchCache, workspace: batchWork, pool: pool, logitRows: tokens.count)
        })

        let stepCache = KVCache(config: model.config, capacity: 16)
        let stepWork = ForwardWorkspace(model: model, maxTokens: 1,
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

    @Test("sequences batched in one pass over a paged cache get the logits each gets alone", arguments: [1, 2])
    func batchedSequencesEqualAlone(threads: Int) throws {
        let model = try load(TinyModel())
        let pool = ThreadPool(threadCount: threads)
        let vocabulary = model.config.vocabularySize
        let prompts = [[3, 17, 42, 5, 79], [0, 11, 23, 61, 7, 8, 9], [44, 45, 46]]
        let next = [12, 13, 14]

        // Each sequence alone, in a contiguous cache: last prompt token's logits, then one decode step.
        var alone: [([Float], [Float])] = []
        for (prompt, token) in zip(prompts, next) {
            let cache = KVCache(config: model.config, capacity: 16)
            let work = ForwardWorkspace(model: model, maxTokens: 8, maxLogitRows: 1)
            let first = Array(prompt.withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: 0, cache: cache, workspace: work, pool: pool)
            })
            let second = Array([token].withUnsafeBufferPointer {
                model.forward(tokens: $0, startPosition: prompt.count, cache: cache, workspace: work, pool: pool)
            })
            alone.append((first, second))
        }

        // All together: blocks of 4 positions handed out out of order, so tables interleave.
        let cache = KVCache(config: model.config, blockCount: 12, blockSize: 4)
        let tables = [[7, 2], [0, 9, 4], [11]]
        let work = ForwardWorkspace(model: model, maxTokens: 16, maxLogitRows: 3)
        let batch = ForwardBatch()
        for (prompt, table) in zip(prompts, tables) {
            batch.append(tokens: prompt, startPosition: 0, blockTable: table, logits: true)
        }
        let prefill = Array(model.forward(batch: batch, cache: cache, workspace: work, pool: pool))
        batch.removeAll()
        for (i, prompt) in prompts.enumerated() {
            batch.append(tokens: [next[i]], startPosition: prompt.count, blockTable: tables[i], logits: true)
        }
        let decode = Array(model.forward(batch: batch, cache: cache, workspace: work, pool: pool))

        for i in prompts.indices {
            for (together, single, step) in [(prefill, alone[i].0, "prefill"), (decode, alone[i].1, "decode")] {
                let row = together[i * vocabulary..<(i + 1) * vocabulary]
                let worst = zip(row, single).map { abs($0 - $1) }.max()!
                // Several vectors per weight block may sum in another order than one alone.
                #expect(worst < 5e-3, "sequence \(i) \(step): largest difference \(worst)")
            }
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
