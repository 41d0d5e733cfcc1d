import Foundation
import Tern

/// A tiny Llama with random f32 weights, written as a GGUF file, for shape and
/// consistency tests that must not depend on the real model.
struct TinyModel {
    var dim = 64
    var layers = 2
    var heads = 4
    var kvHeads = 2
    var ffn = 96
    var vocab = 80
    var context = 64
    var architecture = "llama"
    var seed: UInt64 = 7
    /// Tensors to leave out, shapes to override, types to claim, for error tests.
    var omit: Set<String> = []
    var shapeOverride: [String: [Int]] = [:]
    var typeOverride: [String: GGMLType] = [:]

    func writer() -> GGUFWriter {
        var w = GGUFWriter()
        let a = architecture
        w.setMetadata("general.architecture", .string(a))
        w.setMetadata("general.name", .string("tiny"))
        w.setMetadata("\(a).context_length", .uint32(UInt32(context)))
        w.setMetadata("\(a).embedding_length", .uint32(UInt32(dim)))
        w.setMetadata("\(a).block_count", .uint32(UInt32(layers)))
        w.setMetadata("\(a).feed_forward_length", .uint32(UInt32(ffn)))
        w.setMetadata("\(a).attention.head_count", .uint32(UInt32(heads)))
        w.setMetadata("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.setMetadata("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.setMetadata("\(a).rope.freq_base", .float32(10_000))
        w.setMetadata("\(a).vocab_size", .uint32(UInt32(vocab)))

        var rng = SplitMix64(state: seed)
        let headDim = dim / heads
        func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) {
            guard !omit.contains(name) else { return }
            let shape = shapeOverride[name] ?? shape
            let count = shape.reduce(1, *)
            let values = (0..<count).map { _ in offset + scale * (Float(rng.next() % 20_001) / 10_000 - 1) }
            let bytes = values.withUnsafeBytes { [UInt8]($0) }
            w.addTensor(name: name, shape: shape, type: typeOverride[name] ?? GGMLType(id: 0)!, data: bytes)
        }
        add("token_embd.weight", [dim, vocab], scale: 1)
        add("output_norm.weight", [dim], scale: 0.1, offset: 1)
        for l in 0..<layers {
            let p = "blk.\(l)."
            add(p + "attn_norm.weight", [dim], scale: 0.1, offset: 1)
            add(p + "attn_q.weight", [dim, heads * headDim], scale: 0.2)
            add(p + "attn_k.weight", [dim, kvHeads * headDim], scale: 0.2)
            add(p + "attn_v.weight", [dim, kvHeads * headDim], scale: 0.2)
            add(p + "attn_output.weight", [heads * headDim, dim], scale: 0.2)
            add(p + "ffn_norm.weight", [dim], scale: 0.1, offset: 1)
            add(p + "ffn_gate.weight", [dim, ffn], scale: 0.2)
            add(p + "ffn_up.weight", [dim, ffn], scale: 0.2)
            add(p + "ffn_down.weight", [ffn, dim], scale: 0.2)
        }
        return w
    }

    /// Writes the model into `directory` and returns its path.
    func write(in directory: TemporaryDirectory, name: String = "tiny.gguf") throws -> String {
        let path = directory.file(name)
        try writer().write(to: path)
        return path
    }
}
