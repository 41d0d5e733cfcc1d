import Foundation
import Testing
import Tern

struct ProducerFailure: Error, CustomStringConvertible {
    var description: String { "the quantizer ran out of patience" }
}

@Suite("GGUF writer: checks its input and never leaves a partial file")
struct GGUFWriterTests {
    @Test("setMetadata keeps a replaced key in place; removeMetadata drops it")
    func metadataOrder() {
        var writer = GGUFWriter()
        writer.setMetadata("a", .uint32(1))
        writer.setMetadata("b", .uint32(2))
        writer.setMetadata("a", .string("again"))
        #expect(writer.metadataKeys == ["a", "b"])
        #expect(writer.metadata["a"] == .string("again"))
        writer.removeMetadata("a")
        #expect(writer.metadataKeys == ["b"])
        #expect(writer.metadata["a"] == nil)
    }

    struct ShapeCase: Sendable {
        let shape: [Int]
        let typeID: UInt32
        let bytes: Int?
    }

    @Test(
        "byteCount follows the block geometry and rejects impossible shapes",
        arguments: [
            ShapeCase(shape: [576, 49152], typeID: 8, bytes: 576 / 32 * 34 * 49152),  // q8_0
            ShapeCase(shape: [7], typeID: 0, bytes: 28),  // f32
            ShapeCase(shape: [64, 3], typeID: 3, bytes: 120),  // q4_1
            ShapeCase(shape: [2, 3, 4], typeID: 30, bytes: 48),  // bf16
            ShapeCase(shape: [512], typeID: 34, bytes: 108),  // tq1_0: 256 per 54-byte block
            ShapeCase(shape: [33], typeID: 2, bytes: nil),  // q4_0 row is not whole blocks
            ShapeCase(shape: [], typeID: 0, bytes: nil),
            ShapeCase(shape: [0, 4], typeID: 0, bytes: nil),
            ShapeCase(shape: [-1], typeID: 0, bytes: nil),
            ShapeCase(shape: [Int.max / 2, 3], typeID: 0, bytes: nil),  // overflows
        ])
    func byteCount(_ c: ShapeCase) throws {
        let type = try #require(GGMLType(id: c.typeID))
        #expect(GGUFWriter.byteCount(shape: c.shape, type: type) == c.bytes)
    }

    @Test("a failing producer leaves no output and no temporary, and the error names the tensor")
    func failingProducer() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFSamples.writer()
        writer.addTensor(name: "doomed", shape: [4], type: GGMLType(.f32)) { sink in
            try sink.write([Float(1), 2])
            throw ProducerFailure()
        }
        let path = directory.file("out.gguf")
        #expect(
            throws: GGUFError.cannotWrite(
                path: path, reason: "the data of tensor 'doomed' could not be produced: the quantizer ran out of patience")
        ) { try writer.write(to: path) }
        #expect(directory.contents.isEmpty)
    }

    @Test("a failed write leaves an existing file at the path untouched")
    func existingFileSurvives() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Array("precious".utf8), to: "out.gguf")
        var writer = GGUFWriter()
        writer.addTensor(name: "short", shape: [4], type: GGMLType(.f32)) { sink in try sink.write([Float(1)]) }
        #expect(throws: GGUFError.cannotEncode(path: path, reason: "the producer of tensor 'short' wrote 4 of its 16 bytes")) {
            try writer.write(to: path)
        }
        #expect(try readBytes(path) == Array("precious".utf8))
        #expect(directory.contents == ["out.gguf"])
    }

    @Test("a producer writing past its tensor's size is stopped at once")
    func producerOverrun() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.addTensor(name: "long", shape: [2], type: GGMLType(.f32)) { sink in try sink.write([Float](repeating: 0, count: 3)) }
        let path = directory.file("out.gguf")
        #expect(throws: GGUFError.cannotEncode(path: path, reason: "the producer of tensor 'long' wrote more than its 8 bytes")) {
            try writer.write(to: path)
        }
        #expect(directory.contents.isEmpty)
    }

    @Test("a successful write replaces an existing file")
    func replacesExisting() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Array("old".utf8), to: "out.gguf")
        try GGUFSamples.writer().write(to: path)
        #expect(try GGUFFile(path: path).tensors.count == GGUFSamples.tensorBytes.count)
        #expect(directory.contents == ["out.gguf"])
    }

    /// Writers that must be refused before any byte is written, and the reason given.
    static let unencodable: [(String, @Sendable (inout GGUFWriter) -> Void, String)] = [
        (
            "wrong data size", { $0.addTensor(name: "t", shape: [4], type: GGMLType(.f32), data: [1, 2, 3]) },
            "tensor 't' has 3 bytes but shape [4] of f32 needs 16"
        ),
        (
            "partial block", { $0.addTensor(name: "t", shape: [33], type: GGMLType(.q4_0), data: []) },
            "tensor 't' has shape [33], which q4_0 cannot hold (1 to 4 positive dimensions, the first a multiple of 32)"
        ),
        (
            "five dimensions", { $0.addTensor(name: "t", shape: [1, 1, 1, 1, 1], type: GGMLType(.f32), data: [0, 0, 0, 0]) },
            "tensor 't' has shape [1, 1, 1, 1, 1], which f32 cannot hold (1 to 4 positive dimensions, the first a multiple of 1)"
        ),
        (
            "duplicate tensor",
            {
                $0.addTensor(name: "t", shape: [1], type: GGMLType(.f32), data: [0, 0, 0, 0])
                $0.addTensor(name: "t", shape: [1], type: GGMLType(.f32), data: [0, 0, 0, 0])
            },
            "tensor 't' is added twice"
        ),
        (
            "long tensor name",
            { $0.addTensor(name: String(repeating: "n", count: 64), shape: [1], type: GGMLType(.f32), data: [0, 0, 0, 0]) },
            "tensor name '\(String(repeating: "n", count: 64))' must be 1 to 63 UTF-8 bytes"
        ),
        (
            "mixed array", { $0.setMetadata("k", .array(elementType: .int32, [.int32(1), .string("x")])) },
            "metadata key 'k': an array of int32 holds a string element"
        ),
        (
            "alignment not a power of two", { $0.setMetadata("general.alignment", .uint32(48)) },
            "general.alignment must be a uint32 power of two, got uint32(48)"
        ),
        (
            "alignment not uint32", { $0.setMetadata("general.alignment", .uint64(64)) },
            "general.alignment must be a uint32 power of two, got uint64(64)"
        ),
    ]

    @Test("input a GGUF file cannot hold is refused before anything is written", arguments: 0..<unencodable.count)
    func refusesUnencodable(index: Int) throws {
        let (name, build, reason) = Self.unencodable[index]
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        build(&writer)
        let path = directory.file("out.gguf")
        #expect(throws: GGUFError.cannotEncode(path: path, reason: reason), "\(name)") { try writer.write(to: path) }
        #expect(directory.contents.isEmpty)
    }

    @Test("a missing directory is cannotWrite, naming the path and what to check")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no/such/dir/out.gguf")
        do {
            try GGUFSamples.writer().write(to: path)
            Issue.record("writing into a missing directory should fail")
        } catch {
            guard case let .cannotWrite(errorPath, reason) = error else {
                Issue.record("expected cannotWrite, got \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(reason.contains("No such file or directory"))
            #expect(error.description.contains(path) && error.description.contains("Check the directory exists"))
        }
    }
}
