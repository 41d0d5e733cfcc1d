import Foundation
import Tern

/// A scratch directory deleted when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/tern-gguf-tests-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Whether two buffers hold the same bytes (memcmp: element-wise comparison is slow in debug builds).
func sameBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
    guard x.count == y.count else { return false }
    guard let a = x.baseAddress, let b = y.baseAddress else { return x.count == 0 }
    return memcmp(a, b, x.count) == 0
}

/// Reads `path`, returning the typed error instead of throwing.
func readError(_ path: String) -> GGUFError? {
    do {
        _ = try GGUFFile(path: path)
        return nil
    } catch {
        return error
    }
}

/// Deterministic random numbers (SplitMix64) so fuzzing is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` bytes from a fixed seed, standing in for packed tensor data.
func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

enum GGUFSamples {
    /// Metadata exercising every value type, extremes, nested and empty arrays, in write order.
    static let everyValueType: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("test.uint8", .uint8(.max)), ("test.int8", .int8(.min)),
        ("test.uint16", .uint16(.max)), ("test.int16", .int16(.min)),
        ("test.uint32", .uint32(.max)), ("test.int32", .int32(.min)),
        ("test.uint64", .uint64(.max)), ("test.int64", .int64(.min)),
        ("test.float32", .float32(-.infinity)), ("test.float32.tiny", .float32(.leastNonzeroMagnitude)),
        ("test.float64", .float64(.pi)), ("test.bool.true", .bool(true)), ("test.bool.false", .bool(false)),
        ("test.string", .string("héllo, 世界 🐦\n\"quoted\"")), ("test.string.empty", .string("")),
        ("test.array.int32", .array(elementType: .int32, [.int32(1), .int32(-2), .int32(3)])),
        ("test.array.float32", .array(elementType: .float32, [.float32(0.5), .float32(-0.0)])),
        ("test.array.string", .array(elementType: .string, [.string("a"), .string(""), .string("ß")])),
        ("test.array.bool", .array(elementType: .bool, [.bool(true), .bool(false)])),
        ("test.array.uint64", .array(elementType: .uint64, [.uint64(0), .uint64(.max)])),
        ("test.array.empty", .array(elementType: .float64, [])),
        ("test.array.empty.strings", .array(elementType: .string, [])),
        (
            "test.array.nested",
            .array(elementType: .array, [
                .array(elementType: .uint8, [.uint8(1), .uint8(2)]),
                .array(elementType: .uint8, []),
                .array(elementType: .uint8, [.uint8(255)]),
            ])
        ),
        (
            "test.array.nested.deep",
            .array(elementType: .array, [
                .array(elementType: .array, [.array(elementType: .string, [.string("deep")])])
            ])
        ),
    ]

    /// A few KB: the metadata above, a vocabulary-like string array and tensors of several types.
    static func writer(vocabularySize: Int = 40) -> GGUFWriter {
        var writer = GGUFWriter()
        for (key, value) in everyValueType { writer.setMetadata(key, value) }
        writer.setMetadata("tokenizer.ggml.tokens", .array(elementType: .string, (0..<vocabularySize).map { .string("tok\($0)") }))
        writer.addTensor(name: "token_embd.weight", shape: [32, 4], type: GGMLType(.q8_0), data: patternBytes(4 * 34, seed: 1))
        writer.addTensor(name: "blk.0.attn_norm.weight", shape: [7], type: GGMLType(.f32), data: patternBytes(28, seed: 2))
        writer.addTensor(name: "blk.0.ffn_up.weight", shape: [64, 3], type: GGMLType(.q4_1), data: patternBytes(6 * 20, seed: 3))
        writer.addTensor(name: "cube", shape: [2, 3, 4], type: GGMLType(.bf16), data: patternBytes(48, seed: 4))
        // Streamed in uneven pieces, as a quantizer would.
        let streamed = patternBytes(5 * 2, seed: 5)
        writer.addTensor(name: "streamed.f16", shape: [5], type: GGMLType(.f16)) { sink in
            try sink.write(Array(streamed[0..<3]))
            try sink.write(Array(streamed[3...]))
        }
        if let i8 = GGMLType(id: 24) {
            writer.addTensor(name: "ints.i8", shape: [3], type: i8, data: [1, 2, 255])
        }
        return writer
    }

    /// Expected bytes of the tensors `writer()` adds, by name.
    static let tensorBytes: [String: [UInt8]] = [
        "token_embd.weight": patternBytes(4 * 34, seed: 1),
        "blk.0.attn_norm.weight": patternBytes(28, seed: 2),
        "blk.0.ffn_up.weight": patternBytes(6 * 20, seed: 3),
        "cube": patternBytes(48, seed: 4),
        "streamed.f16": patternBytes(10, seed: 5),
        "ints.i8": [1, 2, 255],
    ]
}
