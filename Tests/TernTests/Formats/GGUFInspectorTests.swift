import Testing
import Tern

@Suite("GGUF inspector: the `tern inspect` report")
struct GGUFInspectorTests {
    static let template = String(repeating: "{% for m in messages %}", count: 5)  // 115 characters

    /// A small file: a 20-token vocabulary, a long template, a short array and two tensors.
    static func writeSmallFile(in directory: TemporaryDirectory) throws -> GGUFFile {
        var writer = GGUFWriter()
        writer.setMetadata("general.architecture", .string("llama"))
        writer.setMetadata("llama.block_count", .uint32(2))
        writer.setMetadata("llama.rope.freq_base", .float32(10000))
        writer.setMetadata("tokenizer.ggml.tokens", .array(elementType: .string, (0..<20).map { .string("tok\($0)") }))
        writer.setMetadata("tokenizer.ggml.scores", .array(elementType: .float32, [.float32(0.5), .float32(-1)]))
        writer.setMetadata("tokenizer.chat_template", .string(template))
        writer.setMetadata("test.escapes", .string("a\"b\nc"))
        writer.addTensor(name: "token_embd.weight", shape: [32, 2], type: GGMLType(.q8_0), data: patternBytes(68, seed: 1))
        writer.addTensor(name: "output_norm.weight", shape: [32], type: GGMLType(.f32), data: patternBytes(128, seed: 2))
        let path = directory.file("small.gguf")
        try writer.write(to: path)
        return try GGUFFile(path: path)
    }

    @Test("summarised report: header, one line per key, long values shortened, aligned tensor table, totals")
    func summarisedReport() throws {
        let directory = try TemporaryDirectory()
        let file = try Self.writeSmallFile(in: directory)
        let lines = GGUFInspector.report(file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        #expect(lines.contains("GGUF version 3, 2 tensors, 7 metadata keys"))
        #expect(lines.contains("alignment 32, tensor data at byte \(file.dataOffset)"))
        #expect(lines.contains("  general.architecture     string          \"llama\""))
        #expect(lines.contains("  llama.block_count        uint32          2"))
        #expect(lines.contains("  llama.rope.freq_base     float32         10000.0"))
        #expect(lines.contains(#"  tokenizer.ggml.tokens    array[string]   [20 strings: "tok0", "tok1", "tok2", ... ]"#))
        #expect(lines.contains("  tokenizer.ggml.scores    array[float32]  [0.5, -1.0]"))
        let shownTemplate = String(Self.template.prefix(60))
        #expect(lines.contains("  tokenizer.chat_template  string          \"\(shownTemplate)\"... (115 characters)"))
        #expect(lines.contains(#"  test.escapes             string          "a\"b\nc""#))
        #expect(lines.contains("tensors:"))
        #expect(lines.contains("  name                type  shape   bytes"))
        #expect(lines.contains("  token_embd.weight   q8_0  32 x 2     68"))
        #expect(lines.contains("  output_norm.weight  f32   32        128"))
        #expect(lines.contains("total: 2 tensors, 96 parameters, 196 bytes"))
    }

    @Test("with no summary limit (--all) every element and the whole template are shown")
    func fullReport() throws {
        let directory = try TemporaryDirectory()
        let file = try Self.writeSmallFile(in: directory)
        let report = GGUFInspector.report(file, summarizeArraysLongerThan: nil)
        let tokens = (0..<20).map { "\"tok\($0)\"" }.joined(separator: ", ")
        #expect(report.contains("[\(tokens)]"))
        #expect(report.contains("\"\(Self.template)\"\n"))
        #expect(!report.contains("..."))
    }

    @Test("sizes are grouped by thousands and shown in binary units from 1 KiB")
    func sizes() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.addTensor(name: "big", shape: [1024, 3], type: GGMLType(.f32), data: [UInt8](repeating: 0, count: 12288))
        try writer.write(to: directory.file("big.gguf"))
        let report = GGUFInspector.report(try GGUFFile(path: directory.file("big.gguf")))
        #expect(report.contains("  big   f32   1024 x 3  12,288"))
        #expect(report.contains("total: 1 tensor, 3,072 parameters, 12,288 bytes (12.0 KiB)"))
    }
}
