import Foundation
import Testing
import Tern

/// A damaged file, the exact error it must raise, and a phrase of the advice its message must give.
struct DamagedFile: Sendable, CustomTestStringConvertible {
    let name: String
    /// Turns the bytes of a valid one-tensor file into the damaged ones.
    let damage: @Sendable ([UInt8]) -> [UInt8]
    let expected: @Sendable (String) -> GGUFError
    let advice: String
    var testDescription: String { name }
}

@Suite("GGUF reader: every bad file is a specific, clear GGUFError")
struct GGUFReaderErrorTests {
    /// One f32 tensor "t" of 32 values and no metadata. Byte layout:
    /// 0 magic, 4 version, 8 tensor count, 16 key count, 24 name length, 32 "t",
    /// 33 dimension count, 37 shape[0], 45 type, 49 offset, 57 padding, 64 data (128 bytes).
    static func oneTensorFile() throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.addTensor(name: "t", shape: [32], type: GGMLType(.f32), data: patternBytes(128, seed: 9))
        try writer.write(to: directory.file("one.gguf"))
        return try readBytes(directory.file("one.gguf"))
    }

    static func patch(_ bytes: [UInt8], at offset: Int, _ value: some FixedWidthInteger) -> [UInt8] {
        var bytes = bytes
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
        return bytes
    }

    static let cases: [DamagedFile] = [
        DamagedFile(
            name: "not GGUF", damage: { _ in Array("hello, this is a text file\n".utf8) },
            expected: { .notGGUF(path: $0) }, advice: "Pass a .gguf model file"),
        DamagedFile(
            name: "shorter than the magic", damage: { Array($0[0..<3]) },
            expected: { .notGGUF(path: $0) }, advice: "Pass a .gguf model file"),
        DamagedFile(
            name: "version 1", damage: { patch($0, at: 4, UInt32(1)) },
            expected: { .unsupportedVersion(path: $0, version: 1) }, advice: "Re-convert the model"),
        DamagedFile(
            name: "version 4", damage: { patch($0, at: 4, UInt32(4)) },
            expected: { .unsupportedVersion(path: $0, version: 4) }, advice: "Re-convert the model"),
        DamagedFile(
            name: "big-endian", damage: { patch($0, at: 4, UInt32(3).byteSwapped) },
            expected: { .unsupportedVersion(path: $0, version: UInt32(3).byteSwapped) }, advice: "little-endian"),
        DamagedFile(
            name: "truncated header", damage: { Array($0[0..<12]) },
            expected: { .truncated(path: $0, offset: 8, needed: 8, what: "tensor count") }, advice: "Download the file again"),
        DamagedFile(
            name: "truncated tensor name", damage: { Array($0[0..<30]) },
            expected: { .invalid(path: $0, what: "tensor count is 1, more than the 14 bytes left can hold (truncated or corrupt)") },
            advice: "Download or convert the file again"),
        DamagedFile(
            name: "unknown tensor type", damage: { patch($0, at: 45, UInt32(99)) },
            expected: { .unknownTensorType(path: $0, tensor: "t", type: 99) }, advice: "Download the file again"),
        DamagedFile(
            name: "tensor data past the end", damage: { Array($0[0..<150]) },
            expected: { .truncated(path: $0, offset: 64, needed: 128, what: "data of tensor 't'") },
            advice: "Download the file again"),
        DamagedFile(
            name: "misaligned tensor offset", damage: { patch($0, at: 49, UInt64(4)) },
            expected: { .invalid(path: $0, what: "tensor 't' offset 4 is not aligned to 32") },
            advice: "Download or convert the file again"),
        DamagedFile(
            name: "absurd tensor count", damage: { patch($0, at: 8, UInt64.max) },
            expected: { .invalid(path: $0, what: "tensor count is \(UInt64.max), more than the 176 bytes left can hold (truncated or corrupt)") },
            advice: "Download or convert the file again"),
        DamagedFile(
            name: "row not whole blocks", damage: { patch(patch($0, at: 45, UInt32(8)), at: 37, UInt64(20)) },
            expected: { .invalid(path: $0, what: "tensor 't' rows of 20 are not whole q8_0 blocks of 32") },
            advice: "Download or convert the file again"),
    ]

    @Test("a damaged file throws its specific error, naming the file and saying what to do", arguments: cases)
    func damagedFile(_ damaged: DamagedFile) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(damaged.damage(Self.oneTensorFile()), to: "damaged.gguf")
        let error = try #require(readError(path), "reading \(damaged.name) should fail")
        #expect(error == damaged.expected(path))
        #expect(error.description.contains(path))
        #expect(error.description.contains(damaged.advice))
    }

    @Test("the undamaged file reads, so the damage above is what the errors are about")
    func undamagedFileReads() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Self.oneTensorFile(), to: "one.gguf")
        let file = try GGUFFile(path: path)
        #expect(file.tensors.map(\.name) == ["t"])
        #expect(file.tensors.first?.offset == 64)
    }

    @Test("a missing path is cannotOpen with the system's reason")
    func missingPath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("absent.gguf")
        let error = try #require(readError(path))
        #expect(error == .cannotOpen(path: path, reason: "No such file or directory"))
        #expect(error.description.contains(path) && error.description.contains("Check the path"))
    }

    @Test("an empty file is cannotOpen saying it is empty")
    func emptyFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write([], to: "empty.gguf")
        let error = try #require(readError(path))
        #expect(error == .cannotOpen(path: path, reason: "the file is empty"))
        #expect(error.description.contains(path) && error.description.contains("Check the path"))
    }

    @Test("a directory is cannotOpen, not a crash")
    func directoryPath() throws {
        let directory = try TemporaryDirectory()
        #expect(readError(directory.path) == .cannotOpen(path: directory.path, reason: "not a regular file"))
    }

    @Test("metadata of the wrong type is wrongValueType naming the key")
    func wrongValueType() throws {
        let directory = try TemporaryDirectory()
        try GGUFSamples.writer().write(to: directory.file("sample.gguf"))
        let file = try GGUFFile(path: directory.file("sample.gguf"))
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "test.array.int32", expected: "an array of strings")) {
            try file.stringArray("test.array.int32")
        }
        #expect(throws: GGUFError.missingKey(path: file.path, key: "llama.block_count")) {
            try file.requireInt("llama.block_count")
        }
        #expect(try file.intArray("test.array.int32") == [1, -2, 3])
    }
}
