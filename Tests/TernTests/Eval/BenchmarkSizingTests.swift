import Testing
import TernKernels
@testable import Tern

@Suite("Benchmark sizing")
struct BenchmarkSizingTests {
    @Test("each test allocates the KV positions one run writes and one micro-batch of workspace", arguments: [
        (BenchmarkTest.promptProcessing(tokens: 512), 1, 512, 512, 1),
        (.promptProcessing(tokens: 1000), 1, 1000, 512, 1),
        (.promptProcessing(tokens: 3), 1, 3, 3, 1),
        (.textGeneration(tokens: 128), 1, 128, 1, 1),
        (.batchedGeneration(tokens: 128, sequences: 16), 16, 128, 16, 16),
    ])
    func sizing(test: BenchmarkTest, blocks: Int, blockSize: Int, workspaceTokens: Int, logitRows: Int) {
        let s = Benchmark.Sizing(test)
        #expect(s.cacheBlocks == blocks && s.cacheBlockSize == blockSize, "\(test.name): \(s)")
        #expect(s.workspaceTokens == workspaceTokens && s.logitRows == logitRows, "\(test.name): \(s)")
    }

    @Test("pp512 on the default model: 11.8 MB of f16 KV cache and a 10.0 MB workspace")
    func defaultModelBytes() throws {
        let model = try TestModel.load().model
        let s = Benchmark.Sizing(.promptProcessing(tokens: 512))
        // 30 layers x (keys, values) x 512 positions x 192 (3 kv heads of 64) x 2 bytes.
        #expect(s.cacheBytes(config: model.config) == 30 * 2 * 512 * 192 * 2)
        // Per token: x 576, normed 576, gate 1536, up 1536 (query 576, key 192 and value 192
        // live inside it), RoPE table 64 floats; one row of 49152 logits; the down
        // projection's prepared input, 1536 / 32 blocks of 40 bytes per token.
        let expected = 512 * (576 + 576 + 1536 + 1536 + 64) * 4 + 49152 * 4 + 512 * 48 * 40
        #expect(s.workspaceBytes(model: model) == expected)
        let workspace = s.makeWorkspace(model: model)
        #expect(workspace.byteCount == expected)
    }

    @Test("query, key and value lie inside up and clear of every other buffer")
    func sharedBuffers() throws {
        let model = try TestModel.load().model
        let c = model.config
        let t = 7
        let w = ForwardWorkspace(model: model, maxTokens: t, maxLogitRows: 1)
        let upEnd = w.up + t * max(c.feedForwardLength, max(c.queryDimension, c.embeddingLength) + 2 * c.kvDimension)
        #expect(w.query == w.up)
        #expect(w.key >= w.query + t * max(c.queryDimension, c.embeddingLength))
        #expect(w.value >= w.key + t * c.kvDimension && w.value + t * c.kvDimension <= upEnd)
        let others = [
            (w.x, t * c.embeddingLength), (w.normed, t * max(c.embeddingLength, c.queryDimension)),
            (w.gate, t * c.feedForwardLength), (w.logits, c.vocabularySize), (w.ropeTable, t * c.ropeDimensionCount),
        ]
        for (start, count) in others {
            #expect(start + count <= w.up || start >= upEnd)
        }
    }
}
