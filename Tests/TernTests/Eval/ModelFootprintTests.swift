import Testing
import TernKernels
@testable import Tern

/// `ModelFootprint`'s file type on models whose matrices were repacked at load.
@Suite("Model footprint: the file's type, not the in-memory layout")
struct ModelFootprintTests {
    @Test("A ternary file repacked to t2_64r at load is labelled with the file's format",
          arguments: [WeightFormat.tq2_0, .tq1_0, .t2_64])
    func ternaryLabel(format: WeightFormat) throws {
        let directory = try TemporaryDirectory()
        // 256-wide rows fit every ternary format; 128 key/value rows are four groups of 32.
        let input = try TinyModel(dim: 256, heads: 4, kvHeads: 2, ffn: 256).write(in: directory)
        let (path, _) = try QuantizerTests.quantize(input, to: format, in: directory)
        let model = try LlamaModel(file: GGUFFile(path: path))
        let down = try #require(model.weights.layers.first?.down)
        #expect(down.fileFormat == format)
        if TernaryRepacking.repackedFormat(for: format, rows: down.rows, columns: down.columns) != nil {
            #expect(down.format == .t2_64r)
        }
        let footprint = ModelFootprint(model: model)
        #expect(footprint.fileType == format && footprint.dominantFormat == format)
        let name = footprint.typeName(architecture: "llama")
        #expect(name.hasSuffix(" \(format.name.uppercased())") && !name.contains("T2_64R"), "\(name)")
    }
}
