import Testing
import TernKernels
@testable import Tern

/// Which type each tensor gets, decided before any byte is converted.
@Suite("Quantization plan: llama-quantize's rules, fallbacks and overrides")
struct QuantizationPlanTests {
    /// A Llama-shaped table of tensors (rows of `dim`), f32 unless told.
    static func tensors(dim: Int = 64, ffn: Int = 128, vocab: Int = 80, tied: Bool = true, type: GGMLType = GGMLType(.f32))
        -> [GGUFTensorInfo]
    {
        var shapes: [(String, [Int])] = [("token_embd.weight", [dim, vocab]), ("output_norm.weight", [dim])]
        if !tied { shapes.append(("output.weight", [dim, vocab])) }
        shapes += [
            ("blk.0.attn_norm.weight", [dim]), ("blk.0.attn_q.weight", [dim, dim]), ("blk.0.attn_v.weight", [dim, dim]),
            ("blk.0.ffn_down.weight", [ffn, dim]), ("blk.0.ffn_up.weight", [dim, ffn]), ("rope_freqs", [dim / 2, 1]),
        ]
        return shapes.map { name, shape in
            let isVector = shape.dropFirst().allSatisfy { $0 == 1 }
            let tensorType = isVector ? GGMLType(.f32) : type
            let bytes = GGUFWriter.byteCount(shape: shape, type: tensorType)!
            return GGUFTensorInfo(name: name, shape: shape, type: tensorType, offset: 0, byteCount: bytes)
        }
    }

    static func targets(_ plan: QuantizationPlan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.tensor.name, $0.target.name) })
    }

    @Test("norms and other 1-D tensors keep their type; weight matrices get --type")
    func defaults() throws {
        let plan = try QuantizationPlan(tensors: Self.tensors(tied: false), options: .init(type: .q4_0))
        let t = Self.targets(plan)
        #expect(t["output_norm.weight"] == "f32" && t["blk.0.attn_norm.weight"] == "f32" && t["rope_freqs"] == "f32")
        #expect(t["blk.0.attn_q.weight"] == "q4_0" && t["blk.0.ffn_down.weight"] == "q4_0")
        #expect(plan.entries.first { $0.tensor.name == "output_norm.weight" }?.reason == .notQuantizable)
        #expect(plan.entries.first { $0.tensor.name == "output_norm.weight" }?.isCopy == true)
    }

    @Test("the output head and the token embeddings keep at least q8_0")
    func higherPrecision() throws {
        let untied = Self.targets(try QuantizationPlan(tensors: Self.tensors(tied: false), options: .init(type: .q4_0)))
        #expect(untied["output.weight"] == "q8_0" && untied["token_embd.weight"] == "q8_0")
        let tied = try QuantizationPlan(tensors: Self.tensors(tied: true), options: .init(type: .q4_1))
        #expect(Self.targets(tied)["token_embd.weight"] == "q8_0")
        #expect(tied.entries.first { $0.tensor.name == "token_embd.weight" }?.reason == .outputHead)
        // A type with more bits than q8_0 is kept for them too.
        let f16 = Self.targets(try QuantizationPlan(tensors: Self.tensors(tied: false), options: .init(type: .f16)))
        #expect(f16["output.weight"] == "f16" && f16["token_embd.weight"] == "f16")
    }

    @Test("--pure gives every quantizable tensor --type")
    func pure() throws {
        let plan = try QuantizationPlan(tensors: Self.tensors(tied: false), options: .init(type: .q4_0, pure: true))
        let t = Self.targets(plan)
        #expect(t["output.weight"] == "q4_0" && t["token_embd.weight"] == "q4_0" && t["output_norm.weight"] == "f32")
    }

    @Test("--output-type and --embedding-type set those tensors, also under --pure")
    func flags() throws {
        let options = QuantizationOptions(type: .q4_0, outputType: .f16, embeddingType: .q4_1, pure: true)
        let t = Self.targets(try QuantizationPlan(tensors: Self.tensors(tied: false), options: options))
        #expect(t["output.weight"] == "f16" && t["token_embd.weight"] == "q4_1" && t["blk.0.attn_q.weight"] == "q4_0")
        // Tied embeddings are the output head: --output-type reaches them.
        let tied = Self.targets(try QuantizationPlan(tensors: Self.tensors(), options: .init(type: .q4_0, outputType: .f16)))
        #expect(tied["token_embd.weight"] == "f16")
    }

    @Test("--tensor-type: the first matching regex wins, searched anywhere in the name")
    func overrides() throws {
        let options = QuantizationOptions(
            type: .q4_0, overrides: [
                try TensorTypeOverride(parsing: "ffn_(down|up)=q8_0"), try TensorTypeOverride(parsing: "ffn=f16"),
                try TensorTypeOverride(parsing: #"^blk\.0\.attn_v\.weight$=q4_1"#), try TensorTypeOverride(parsing: "norm=f16"),
            ])
        let plan = try QuantizationPlan(tensors: Self.tensors(), options: options)
        let t = Self.targets(plan)
        #expect(t["blk.0.ffn_down.weight"] == "q8_0" && t["blk.0.ffn_up.weight"] == "q8_0")
        #expect(t["blk.0.attn_v.weight"] == "q4_1" && t["blk.0.attn_q.weight"] == "q4_0")
        #expect(t["blk.0.attn_norm.weight"] == "f32")  // not quantizable: overrides do not apply
        #expect(plan.entries.first { $0.tensor.name == "blk.0.ffn_up.weight" }?.reason == .override(pattern: "ffn_(down|up)"))
    }

    @Test("a block that does not divide the rows falls back, with a note")
    func fallbackInPlan() throws {
        // Rows of 48 are not whole q4_0 blocks of 32; q4_0 has no smaller-block fallback, so f16.
        let plan = try QuantizationPlan(tensors: Self.tensors(dim: 64, ffn: 48), options: .init(type: .q4_0))
        let t = Self.targets(plan)
        #expect(t["blk.0.ffn_down.weight"] == "f16" && t["blk.0.ffn_up.weight"] == "q4_0")
        let entry = try #require(plan.entries.first { $0.tensor.name == "blk.0.ffn_down.weight" })
        #expect(entry.fallback == .init(requested: .q4_0, rowLength: 48))
        #expect(plan.notes == ["1 tensor uses f16 instead of q4_0: its rows (48) are not a multiple of q4_0's block of 32"])
    }

    @Test(
        "fallback rule: a smaller block that divides the row, with at least the bits per weight, else f16",
        arguments: [
            // (block, bits/weight, row length, expected): 256-blocks as TQ2_0 (2.06), Q6_K (6.56).
            (256, 2.0625, 576, "q4_0"), (256, 6.5625, 576, "q8_0"), (256, 2.0625, 48, "f16"), (256, 2.0625, 512, nil),
            (64, 4.5, 96, "q4_0"), (32, 4.5, 48, "f16"), (32, 8.5, 64, nil),
        ] as [(Int, Double, Int, String?)])
    func fallbackRule(block: Int, bits: Double, row: Int, expected: String?) {
        #expect(QuantizationPlan.fallback(blockSize: block, bitsPerWeight: bits, rowLength: row)?.name == expected)
    }

    @Test("every target format fits or falls back to one that fits", arguments: QuantizationOptions.targetFormats)
    func everyFormatFits(format: WeightFormat) {
        for row in [576, 1536, 48, 33] {
            let chosen = QuantizationPlan.fallback(for: format, rowLength: row)
            #expect(row % chosen.blockSize == 0, "\(format) on rows of \(row) chose \(chosen)")
            #expect(chosen == format || chosen.bitsPerWeight >= format.bitsPerWeight || chosen == .f16)
        }
    }

    @Test("unknown type names are refused with the list of valid ones")
    func unknownType() {
        #expect(throws: QuantizeError.unknownType(name: "q5_k", valid: QuantizationOptions.targetFormats.map(\.name))) {
            try QuantizationOptions.format(named: "q5_k")
        }
        #expect(throws: QuantizeError.self) { try QuantizationOptions.format(named: "q8_1") }  // activations only
        #expect((try? QuantizationOptions.format(named: "Q4_0")) == .q4_0)
        let message = QuantizeError.unknownType(name: "q5_k", valid: ["f32", "q4_0"]).description
        #expect(message.contains("'q5_k'") && message.contains("f32, q4_0"))
    }

    @Test("malformed --tensor-type arguments are refused", arguments: ["ffn_down", "=q4_0", "ffn[=q4_0", "ffn=q9_9"])
    func badOverride(argument: String) {
        #expect(throws: QuantizeError.self) { try TensorTypeOverride(parsing: argument) }
    }

    @Test("a tensor Tern cannot decode is refused when it must be converted, copied when it need not be")
    func undecodableSource() throws {
        let q6k = GGMLType(id: 14)!  // q6_K: Tern has no kernels for it
        let tensors = Self.tensors(dim: 256, ffn: 256, type: q6k)
        #expect(throws: QuantizeError.unsupportedSourceType(tensor: "token_embd.weight", type: "q6_K")) {
            try QuantizationPlan(tensors: tensors, options: .init(type: .q4_0))
        }
        // Copying needs no decoding: the 1-D f32 tensors alone are fine whatever --type is.
        let vectors = tensors.filter { $0.shape.count == 1 || $0.shape[1] == 1 }
        #expect(try QuantizationPlan(tensors: vectors, options: .init(type: .q4_0)).conversions.isEmpty)
    }

    @Test("general.file_type values are llama.cpp's")
    func fileTypes() {
        let expected: [(WeightFormat, UInt32)] = [(.f32, 0), (.f16, 1), (.q4_0, 2), (.q4_1, 3), (.q8_0, 7), (.bf16, 32)]
        for (format, value) in expected { #expect(LlamaFileType.value(for: format) == value, "\(format)") }
    }
}
