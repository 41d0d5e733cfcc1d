import Foundation
import Testing
import Tern

/// `tern quantize` as a user runs it: exit codes, messages, and nothing left behind on failure.
@Suite("tern quantize", .serialized)
struct QuantizeCommandTests {
    /// A scratch directory with a small f32 GGUF (`in.gguf`), removed afterwards.
    final class Scene {
        let directory: String
        let input: String
        let inputBytes: Data

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-quantize-\(UUID())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            input = directory + "/in.gguf"
            var writer = GGUFWriter()
            writer.setMetadata("general.architecture", .string("llama"))
            writer.setMetadata("general.file_type", .uint32(0))
            func add(_ name: String, _ shape: [Int]) {
                let values = (0..<shape.reduce(1, *)).map { Float(($0 * 7919) % 1000) / 500 - 1 }
                writer.addTensor(name: name, shape: shape, type: GGMLType(.f32), data: values.withUnsafeBytes { Array($0) })
            }
            add("token_embd.weight", [64, 16])
            add("output_norm.weight", [64])
            add("blk.0.attn_q.weight", [64, 64])
            add("blk.0.ffn_down.weight", [96, 64])
            try writer.write(to: input)
            inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func path(_ name: String) -> String { directory + "/" + name }

        var contents: Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []) }

        /// The input is unchanged and the directory holds only `expected`.
        func expectUntouched(leaving expected: Set<String> = ["in.gguf"], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect((try? Data(contentsOf: URL(fileURLWithPath: input))) == inputBytes, "the input changed", sourceLocation: sourceLocation)
            #expect(contents == expected, "left behind: \(contents)", sourceLocation: sourceLocation)
        }
    }

    @Test("converts a file and ends with a summary line")
    func converts() throws {
        let scene = try Scene()
        let output = scene.path("out.gguf")
        let result = try TernCLI.run(["quantize", scene.input, output, "--type", "q4_0", "--tensor-type", "ffn_down=q8_0", "-t", "2"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let summary = try #require(result.stdout.split(separator: "\n").last)
        #expect(summary.hasPrefix("wrote \(output): ") && summary.contains(" MB → ") && summary.contains("bits/weight"), "\(summary)")
        #expect(!result.stderr.contains("\r["), "no progress bar when stderr is not a terminal")
        let file = try GGUFFile(path: output)
        #expect(file.tensorInfo("blk.0.attn_q.weight")?.type.name == "q4_0")
        #expect(file.tensorInfo("blk.0.ffn_down.weight")?.type.name == "q8_0")
        #expect(file.tensorInfo("token_embd.weight")?.type.name == "q8_0")
        #expect(file.int("general.file_type") == 2 && file.int("tern.quantize.source_file_type") == 0)
        scene.expectUntouched(leaving: ["in.gguf", "out.gguf"])
    }

    @Test("--type f32 and f16 decode a quantized file")
    func dequantizes() throws {
        let scene = try Scene()
        #expect(try TernCLI.run(["quantize", scene.input, scene.path("q8.gguf"), "--type", "q8_0"]).status == 0)
        for type in ["f32", "f16"] {
            let result = try TernCLI.run(["quantize", scene.path("q8.gguf"), scene.path("\(type).gguf"), "--type", type])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let file = try GGUFFile(path: scene.path("\(type).gguf"))
            #expect(file.tensorInfo("blk.0.attn_q.weight")?.type.name == type)
        }
    }

    @Test("an unknown type is refused with the valid ones listed")
    func unknownType() throws {
        let scene = try Scene()
        let result = try TernCLI.run(["quantize", scene.input, scene.path("out.gguf"), "--type", "q5_k"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("unknown type 'q5_k'") && result.stderr.contains("q4_0, q4_1, q8_0"), "\(result.stderr)")
        scene.expectUntouched()
    }

    @Test(
        "bad output paths fail with a clear message and leave nothing",
        arguments: [
            ("sub", "is a directory"), ("absent/out.gguf", "cannot write"), ("in.gguf", "is the input file"),
        ])
    func badOutput(output: String, message: String) throws {
        let scene = try Scene()
        try FileManager.default.createDirectory(atPath: scene.path("sub"), withIntermediateDirectories: false)
        let result = try TernCLI.run(["quantize", scene.input, scene.path(output), "--type", "q8_0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        scene.expectUntouched(leaving: ["in.gguf", "sub"])
    }

    @Test("an input that is not GGUF is a clear error")
    func badInput() throws {
        let scene = try Scene()
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: scene.path("text.gguf")))
        let result = try TernCLI.run(["quantize", scene.path("text.gguf"), scene.path("out.gguf"), "--type", "q8_0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot read input") && result.stderr.contains("not a GGUF file"), "\(result.stderr)")
        scene.expectUntouched(leaving: ["in.gguf", "text.gguf"])
    }

    @Test("a write error mid-file (the disk fills up) fails and leaves no partial output")
    func diskFull() throws {
        let scene = try Scene()
        // A 4 KiB file size limit makes write() fail with EFBIG part-way through, as a full disk does
        // with ENOSPC; SIGXFSZ is ignored so the write reports the error instead of killing tern.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" quantize \"$1\" \"$2\" --type f16",
            TernCLI.executable.path, scene.input, scene.path("out.gguf"),
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("cannot write") && stderr.contains("free space"), "stderr: \(stderr)")
        scene.expectUntouched()
    }

    @Test("Ctrl-C stops the run, deletes the temporary and exits 130")
    func interrupted() throws {
        let scene = try Scene()
        let model = try ModelStore().ensureDefaultModel { _ in }
        let process = Process()
        process.executableURL = TernCLI.executable
        // Decoding to f32 writes 540 MB: long enough to interrupt mid-run.
        process.arguments = ["quantize", model, scene.path("out.gguf"), "--type", "f32", "-t", "1"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the temporary exists, i.e. the signal handlers are in place and writing has begun.
        let deadline = Date().addingTimeInterval(30)
        while !scene.contents.contains(where: { $0.hasSuffix(".tmp") }) && process.isRunning && Date() < deadline {
            usleep(5_000)
        }
        #expect(process.isRunning, "tern finished before it could be interrupted")
        process.interrupt()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "stderr: \(stderr)")
        #expect(stderr.contains("interrupted: nothing was written"), "stderr: \(stderr)")
        scene.expectUntouched()
    }

    @Test("the default model to q4_0: the size and bits per weight llama-quantize gives")
    func defaultModel() throws {
        let scene = try Scene()
        let model = try ModelStore().ensureDefaultModel { _ in }
        let output = scene.path("q4_0.gguf")
        let result = try TernCLI.run(["quantize", model, output, "--type", "q4_0", "-t", "2"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // llama-quantize q4_0 of this file: 85.77 MiB of tensors, 5.35 bits/weight (token_embd stays q8_0).
        #expect(result.stdout.contains("98.4 MB → 91.7 MB, 5.35 bits/weight"), "stdout: \(result.stdout)")
        let file = try GGUFFile(path: output)
        #expect(file.tensors.filter { $0.type.name == "q4_0" }.count == 210)
        #expect(file.tensorInfo("token_embd.weight")?.type.name == "q8_0")
    }
}
