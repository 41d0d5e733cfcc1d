import Foundation
import Testing
import Tern

@Suite("GGUF reader fuzzing: damaged files throw GGUFError, never crash or hang")
struct GGUFFuzzTests {
    enum Damage: String, CaseIterable, Sendable {
        /// Cut the file at a random length.
        case truncate
        /// Overwrite one to four random bytes, mostly in the header where they matter.
        case flipBytes
        /// Write a boundary value (0, 1, 2^31, 2^63, all ones…) over a count, length or offset.
        case boundaryValue
    }

    static let boundaryValues: [UInt64] = [
        0, 1, 2, 3, 4, 7, 9, 12, 31, 32, 33, 64, 255, 256, 0xFFFF, 1 << 31, (1 << 32) - 1, 1 << 32,
        1 << 40, 1 << 48, 1 << 62, 1 << 63, UInt64(Int64.max), .max, .max - 1,
    ]

    /// Applies `damage` to `original` with random choices from `rng`.
    static func damaged(_ original: [UInt8], headerSize: Int, _ damage: Damage, rng: inout SplitMix64) -> [UInt8] {
        var bytes = original
        // Three in four edits land in the header: damage to tensor data is harmless by design.
        func position(width: Int) -> Int {
            let end = Int.random(in: 0..<4, using: &rng) == 0 ? bytes.count : headerSize
            return Int.random(in: 0...(end - width), using: &rng)
        }
        switch damage {
        case .truncate:
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case .flipBytes:
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[position(width: 1)] = UInt8.random(in: 0...255, using: &rng)
            }
        case .boundaryValue:
            let value = boundaryValues.randomElement(using: &rng) ?? 0
            let width = [1, 2, 4, 8].randomElement(using: &rng) ?? 8
            let at = position(width: width)
            for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        return bytes
    }

    @Test("1,200 seeded truncations and mutations of a small valid file", arguments: Damage.allCases)
    func fuzz(_ damage: Damage) throws {
        let directory = try TemporaryDirectory()
        let originalPath = directory.file("original.gguf")
        try GGUFSamples.writer().write(to: originalPath)
        let original = try readBytes(originalPath)
        let headerSize = try GGUFFile(path: originalPath).dataOffset
        #expect(original.count > 1024 && original.count < 8192, "the fixture should be a few KB")

        var rng = SplitMix64(state: 0x7E27_0000 + UInt64(Damage.allCases.firstIndex(of: damage) ?? 0))
        var accepted = 0
        var rejected = 0
        let path = directory.file("damaged.gguf")
        for _ in 0..<400 {
            let bytes = Self.damaged(original, headerSize: headerSize, damage, rng: &rng)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let file = try GGUFFile(path: path)
                accepted += 1
                // What the reader accepts must be safe to use: every tensor in bounds, the report renders.
                for tensor in file.tensors {
                    let data = file.bytes(of: tensor)
                    #expect(data.count == tensor.byteCount)
                    #expect(tensor.offset + tensor.byteCount <= file.fileSize)
                }
                #expect(!GGUFInspector.report(file).isEmpty)
            } catch {
                rejected += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(accepted + rejected == 400)
        #expect(rejected > 0, "\(damage) damage should make some files unreadable")
    }
}
