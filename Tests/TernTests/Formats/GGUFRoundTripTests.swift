import Foundation
import Testing
@testable import Tern

@Suite("GGUF round trip: what GGUFWriter writes, GGUFFile reads back unchanged")
struct GGUFRoundTripTests {
    @Test("every metadata value type, nested and empty arrays, in the order written")
    func metadataRoundTrips() throws {
        let directory = try TemporaryDirectory()
        let writer = GGUFSamples.writer()
        try writer.write(to: directory.file("sample.gguf"))
        let file = try GGUFFile(path: directory.file("sample.gguf"))

        #expect(file.version == 3)
        #expect(file.metadataKeys == writer.metadataKeys)
        for (key, value) in GGUFSamples.everyValueType {
            #expect(file.metadata[key] == value, "metadata key \(key)")
        }
        #expect(file.metadata.allValues == writer.metadata)
        // Equality of -0.0 and 0.0 would hide a sign lost on the way: compare bits too.
        let floats = try #require(file.metadata["test.array.float32"]?.array)
        #expect(floats.last == .float32(-0.0))
        if case let .float32(negativeZero) = floats.last { #expect(negativeZero.sign == .minus) }
    }

    @Test("tensors keep name, shape, type and bytes; data is aligned to 32 by default")
    func tensorsRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let writer = GGUFSamples.writer()
        try writer.write(to: directory.file("sample.gguf"))
        let file = try GGUFFile(path: directory.file("sample.gguf"))

        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.tensors.map(\.name) == writer.tensorNames)
        #expect(file.tensors.map(\.shape) == [[32, 4], [7], [64, 3], [2, 3, 4], [5], [3]])
        #expect(file.tensors.map(\.type.name) == ["q8_0", "f32", "q4_1", "bf16", "f16", "i8"])
        for tensor in file.tensors {
            #expect((tensor.offset - file.dataOffset) % 32 == 0, "\(tensor.name) offset")
            #expect(Array(file.bytes(of: tensor)) == GGUFSamples.tensorBytes[tensor.name], "\(tensor.name) bytes")
        }
        // llama.cpp reads the padded size of the last tensor too, so the file ends on the alignment.
        #expect(file.fileSize % 32 == 0)
    }

    @Test("general.alignment set to 64 aligns the data section and every tensor to 64")
    func customAlignment() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFSamples.writer()
        writer.setMetadata("general.alignment", .uint32(64))
        try writer.write(to: directory.file("aligned.gguf"))
        let file = try GGUFFile(path: directory.file("aligned.gguf"))

        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensors.allSatisfy { ($0.offset - file.dataOffset) % 64 == 0 })
        #expect(file.tensors.allSatisfy { Array(file.bytes(of: $0)) == GGUFSamples.tensorBytes[$0.name] })
    }

    @Test("a file with no tensors and no metadata is valid")
    func emptyModel() throws {
        let directory = try TemporaryDirectory()
        try GGUFWriter().write(to: directory.file("empty.gguf"))
        let file = try GGUFFile(path: directory.file("empty.gguf"))
        #expect(file.metadataKeys.isEmpty)
        #expect(file.tensors.isEmpty)
    }

    @Test("the real SmolLM2 model rewritten by GGUFWriter reads back with identical metadata and tensor bytes")
    func realModelRewrite() throws {
        let path = try TestModel.path()
        let original = try GGUFFile(path: path)
        #expect(original.string("general.architecture") == "llama")
        #expect(try original.stringArray("tokenizer.ggml.tokens")?.count == 49152)
        #expect(original.tensors.count == 272)

        let directory = try TemporaryDirectory()
        let copyPath = directory.file("rewritten.gguf")
        try GGUFWriter(copying: original).write(to: copyPath)
        let copy = try GGUFFile(path: copyPath)

        #expect(copy.metadataKeys == original.metadataKeys)
        #expect(copy.metadata.allValues == original.metadata.allValues)
        #expect(copy.tensors.count == original.tensors.count)
        for (a, b) in zip(original.tensors, copy.tensors) {
            #expect(a.name == b.name && a.shape == b.shape && a.type == b.type && a.byteCount == b.byteCount)
            #expect(sameBytes(original.bytes(of: a), copy.bytes(of: b)), "bytes of \(a.name)")
        }
    }
}
