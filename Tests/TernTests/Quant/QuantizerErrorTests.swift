import Foundation
import Testing
import TernKernels
@testable import Tern

/// Whatever goes wrong, the input is untouched and no output (or temporary) is left.
@Suite("Quantizer errors leave the input untouched and nothing behind")
struct QuantizerErrorTests {
    /// A directory holding the tiny model, its bytes before the run, and the run's error.
    struct Scene {
        let directory: TemporaryDirectory
        let input: String
        let inputBytes: [UInt8]

        init() throws {
            directory = try TemporaryDirectory()
            input = try TinyModel().write(in: directory)
            inputBytes = try readBytes(input)
        }

        func run(output: String, type: WeightFormat = .q4_0, stopAfter: Int? = nil) -> QuantizeError? {
            var calls = 0
            do {
                try Quantizer(options: .init(type: type, threadCount: 2)).quantize(input: input, output: output) { _ in
                    calls += 1
                    return stopAfter.map { calls < $0 } ?? true
                }
                return nil
            } catch {
                return error
            }
        }

        /// The input is byte-for-byte what it was and the directory holds only `expected`.
        func expectUntouched(leaving expected: Set<String> = ["tiny.gguf"], sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try readBytes(input) == inputBytes, "the input changed", sourceLocation: sourceLocation)
            #expect(Set(directory.contents) == expected, "left behind: \(directory.contents)", sourceLocation: sourceLocation)
        }
    }

    @Test("the input as output is refused, also through a symbolic link")
    func sameFile() throws {
        let scene = try Scene()
        #expect(scene.run(output: scene.input) == .sameFile(path: scene.input))
        let link = scene.directory.file("link.gguf")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: scene.input)
        #expect(scene.run(output: link) == .sameFile(path: link))
        try scene.expectUntouched(leaving: ["tiny.gguf", "link.gguf"])
    }

    @Test("a directory as output is refused before any work")
    func directoryOutput() throws {
        let scene = try Scene()
        try FileManager.default.createDirectory(atPath: scene.directory.file("sub"), withIntermediateDirectories: false)
        #expect(scene.run(output: scene.directory.file("sub")) == .outputIsDirectory(path: scene.directory.file("sub")))
        #expect(scene.run(output: scene.directory.file("new/")) == .outputIsDirectory(path: scene.directory.file("new/")))
        try scene.expectUntouched(leaving: ["tiny.gguf", "sub"])
        #expect(FileManager.default.subpaths(atPath: scene.directory.file("sub")) == [])
    }

    @Test("a missing or read-only directory is a write error naming the output")
    func unwritableDirectory() throws {
        let scene = try Scene()
        let missing = scene.directory.file("absent/out.gguf")
        guard case let .cannotWrite(path, reason) = scene.run(output: missing) else {
            Issue.record("expected cannotWrite")
            return
        }
        #expect(path == missing && reason.contains("No such file"), "\(reason)")

        // root writes anywhere it likes, so as root use a read-only file system instead.
        let locked = scene.directory.file("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        let readOnly = geteuid() == 0 ? "/proc/tern-quantize-test.gguf" : locked + "/out.gguf"
        let error = scene.run(output: readOnly)
        guard case .cannotWrite(readOnly, _) = error else {
            Issue.record("expected cannotWrite for \(readOnly), got \(String(describing: error))")
            return
        }
        #expect(error!.description.contains("writable"))
        try scene.expectUntouched(leaving: ["tiny.gguf", "locked"])
        #expect(FileManager.default.subpaths(atPath: locked) == [])
    }

    @Test("an input that is missing, not GGUF or truncated is a read error")
    func unreadableInput() throws {
        let scene = try Scene()
        let output = scene.directory.file("out.gguf")
        let quantizer = Quantizer(options: .init(type: .q8_0))
        let notGGUF = try scene.directory.write(Array("hello, not a model".utf8), to: "text.gguf")
        let truncated = try scene.directory.write(Array(scene.inputBytes.prefix(scene.inputBytes.count / 2)), to: "half.gguf")
        for input in [scene.directory.file("absent.gguf"), notGGUF, truncated] {
            #expect {
                try quantizer.quantize(input: input, output: output)
            } throws: { error in
                guard case let .unreadableInput(path, _) = error as? QuantizeError else { return false }
                return path == input
            }
        }
        try scene.expectUntouched(leaving: ["tiny.gguf", "text.gguf", "half.gguf"])
    }

    @Test("stopping from the progress handler, mid-tensor or between tensors, leaves nothing", arguments: [1, 2, 7])
    func cancelled(after calls: Int) throws {
        let scene = try Scene()
        let output = scene.directory.file("out.gguf")
        #expect(scene.run(output: output, stopAfter: calls) == .cancelled(output: output))
        try scene.expectUntouched()
    }

    @Test("an existing output is replaced only by a complete file")
    func replacesOnlyWhenComplete() throws {
        let scene = try Scene()
        let output = try scene.directory.write([1, 2, 3], to: "out.gguf")
        #expect(scene.run(output: output, stopAfter: 3) == .cancelled(output: output))
        #expect(try readBytes(output) == [1, 2, 3])
        #expect(scene.run(output: output) == nil)
        #expect(try GGUFFile(path: output).string("tern.quantize.type") == "q4_0")
        try scene.expectUntouched(leaving: ["tiny.gguf", "out.gguf"])
    }

    @Test("every error message says what to do")
    func messages() {
        let errors: [QuantizeError] = [
            .sameFile(path: "m.gguf"), .outputIsDirectory(path: "out"), .cannotWrite(path: "o.gguf", reason: "No space left on device"),
            .unsupportedSourceType(tensor: "blk.0.attn_q.weight", type: "q6_K"), .invalidOverride(argument: "x", reason: "no '='"),
        ]
        for error in errors {
            #expect(error.description.count > 40 && error.description.contains("."), "\(error)")
        }
        #expect(QuantizeError.unsupportedSourceType(tensor: "blk.0.attn_q.weight", type: "q6_K").description
            .contains("Quantize from the model's f32, f16 or bf16 original"))
    }
}
