import Foundation
import Testing
@testable import Tern

/// One damage to a metadata array and the error opening the file must give.
struct DamagedArray: Sendable, CustomTestStringConvertible {
    let name: String
    let damage: @Sendable (inout [UInt8], GGUFLazyArrayTests.Layout) -> Void
    let expected: @Sendable (_ path: String, _ fileSize: Int) -> GGUFError
    var testDescription: String { name }
}

@Suite("GGUF metadata arrays: checked at open, decoded only when read")
struct GGUFLazyArrayTests {
    /// Where the one array of `arrayFile()` lies: its element type at 37, count at 41, then
    /// each string's u64 length and bytes ("ab", "cd", "ef").
    struct Layout: Sendable {
        let elementType = 37, count = 41, firstLength = 49, secondLength = 59
    }

    /// One key, "k", holding the strings ["ab", "cd", "ef"]; no tensors.
    static func arrayFile() throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.setMetadata("k", .array(elementType: .string, [.string("ab"), .string("cd"), .string("ef")]))
        try writer.write(to: directory.file("array.gguf"))
        return try readBytes(directory.file("array.gguf"))
    }

    static func patch(_ bytes: inout [UInt8], at offset: Int, _ value: some FixedWidthInteger) {
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    static let damages: [DamagedArray] = [
        DamagedArray(
            name: "element count past the end", damage: { patch(&$0, at: $1.count, UInt64(1_000)) },
            expected: { .invalid(path: $0, what: "element count of k is 1000, more than the \($1 - 49) bytes left can hold (truncated or corrupt)") }),
        DamagedArray(
            name: "string length past the end", damage: { patch(&$0, at: $1.secondLength, UInt64(1 << 40)) },
            expected: { .invalid(path: $0, what: "length of k is \(1 << 40), more than the \($1 - 67) bytes left can hold (truncated or corrupt)") }),
        DamagedArray(
            name: "unknown element type", damage: { patch(&$0, at: $1.elementType, UInt32(77)) },
            expected: { path, _ in .unknownValueType(path: path, key: "k", type: 77) }),
        DamagedArray(
            name: "cut inside the last length", damage: { bytes, _ in bytes.removeLast(bytes.count - 75) },
            expected: { path, _ in .truncated(path: path, offset: 69, needed: 8, what: "length of k") }),
        DamagedArray(
            name: "bools that are not 0 or 1",
            damage: { bytes, at in
                patch(&bytes, at: at.elementType, GGUFValueType.bool.rawValue)
                bytes[at.firstLength] = 1
                bytes[at.firstLength + 1] = 2
            },
            expected: { path, _ in .invalid(path: path, what: "metadata key 'k' has bool value 2") }),
    ]

    @Test("a corrupt array fails the open with the error decoding it would give", arguments: damages)
    func corruptArrayFailsOpen(_ damaged: DamagedArray) throws {
        var bytes = try Self.arrayFile()
        damaged.damage(&bytes, Layout())
        let directory = try TemporaryDirectory()
        let path = try directory.write(bytes, to: "damaged.gguf")
        let expected = damaged.expected(path, bytes.count)
        #expect(readError(path) == expected)
        // Decoding the same bytes at once (as the reader did before arrays were lazy) agrees.
        let eager = bytes.withUnsafeBytes { raw -> GGUFError? in
            var reader = GGUFReader(bytes: raw, path: path, offset: Layout().elementType)
            do throws(GGUFError) {
                _ = try reader.readValue(type: .array, key: "k")
                return nil
            } catch {
                return error
            }
        }
        #expect(eager == expected)
    }

    @Test("the undamaged array file reads, so the damage above is what the errors are about")
    func undamagedArrayReads() throws {
        let directory = try TemporaryDirectory()
        let file = try GGUFFile(path: directory.write(Self.arrayFile(), to: "array.gguf"))
        #expect(try file.stringArray("k") == ["ab", "cd", "ef"])
    }

    @Test("arrays nest up to eight deep; one more fails the open", arguments: [7, 8])
    func nesting(wraps: Int) throws {
        var value = GGUFValue.array(elementType: .uint8, [.uint8(1)])
        for _ in 0..<wraps { value = .array(elementType: .array, [value]) }
        var writer = GGUFWriter()
        writer.setMetadata("nested", value)
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("nested.gguf"))
        let path = directory.file("nested.gguf")
        if wraps < 8 {
            #expect(try GGUFFile(path: path).metadata["nested"] == value)
        } else {
            #expect(readError(path) == .invalid(path: path, what: "metadata key 'nested' nests arrays too deeply"))
        }
    }

    @Test("arrays in a header of many pages read the values written, after open released those pages")
    func arraysReadAfterPagesReleased() throws {
        // ~60 KB of header: GGUFFile.init drops its pages, which fault back in from the file.
        let tokens = (0..<4_000).map { "token \($0) ✓" }
        let types = (0..<4_000).map { Int32($0 % 7) - 3 }
        let scores = (0..<4_000).map { Float($0) * -0.25 }
        var writer = GGUFWriter()
        writer.setMetadata("tokenizer.ggml.tokens", .array(elementType: .string, tokens.map { .string($0) }))
        writer.setMetadata("tokenizer.ggml.token_type", .array(elementType: .int32, types.map { .int32($0) }))
        writer.setMetadata("tokenizer.ggml.scores", .array(elementType: .float32, scores.map { .float32($0) }))
        writer.setMetadata("flags", .array(elementType: .bool, [.bool(true), .bool(false)]))
        writer.addTensor(name: "t", shape: [32], type: GGMLType(.f32), data: patternBytes(128, seed: 3))
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("big.gguf"))
        let file = try GGUFFile(path: directory.file("big.gguf"))
        #expect(file.dataOffset > 16 * 4096)

        #expect(try file.stringArray("tokenizer.ggml.tokens") == tokens)
        #expect(try file.intArray("tokenizer.ggml.token_type") == types.map(Int.init))
        #expect(try file.floatArray("tokenizer.ggml.scores") == scores)
        #expect(try file.floatArray("tokenizer.ggml.token_type") == types.map(Float.init))
        #expect(try file.intArray("flags") == [1, 0])
        #expect(file.metadata.allValues == writer.metadata)
        #expect(file.metadata.count == 4)
        // Read twice: decoding leaves nothing behind that changes the next read.
        #expect(try file.stringArray("tokenizer.ggml.tokens") == tokens)
    }

    @Test("typed array accessors refuse scalars and other element types, and are nil for absent keys")
    func typedAccessors() throws {
        let directory = try TemporaryDirectory()
        try GGUFSamples.writer().write(to: directory.file("sample.gguf"))
        let file = try GGUFFile(path: directory.file("sample.gguf"))
        #expect(try file.stringArray("test.array.string") == ["a", "", "ß"])
        #expect(try file.intArray("test.array.bool") == [1, 0])
        #expect(try file.floatArray("test.array.float32") == [0.5, -0.0])
        #expect(try file.stringArray("test.array.empty") == [])
        #expect(try file.stringArray("absent") == nil)
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "test.string", expected: "an array of strings")) {
            try file.stringArray("test.string")
        }
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "test.array.string", expected: "an array of integers")) {
            try file.intArray("test.array.string")
        }
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "test.array.nested", expected: "an array of floats")) {
            try file.floatArray("test.array.nested")
        }
        // Scalar accessors do not read arrays as scalars.
        #expect(file.string("test.array.string") == nil && file.int("test.array.int32") == nil)
    }
}
