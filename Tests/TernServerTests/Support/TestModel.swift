import Foundation
import Tern

/// The default model's tokenizer and chat template, for prompts built exactly as the server
/// builds them, and the whole model for the real engine. The model is never skipped: `.ci/run`
/// obtains it as a user does (`tern pull`).
enum TestModel {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "the default model is not at \(path). Run `swift run tern pull` (or set TERN_MODEL_PATH) before the tests."
        }
    }

    /// Path of the default model: `TERN_MODEL_PATH`, else the model store's default, obtained first if missing.
    static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["TERN_MODEL_PATH"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
            return path
        }
        return try ModelStore().ensureDefaultModel { print($0) }
    }

    /// Tokenizer and chat template of the default model, read once per process (both are immutable).
    static func vocabulary() throws -> (tokenizer: Tokenizer, template: ChatTemplate) {
        try cache.get()
    }

    private static let cache = LoadOnce()

    /// The whole default model, loaded once per process (it is immutable), for tests that run
    /// the real engine behind the server.
    static func load() throws -> LoadedModel {
        try modelCache.get()
    }

    private static let modelCache = ModelOnce()

    private final class ModelOnce: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var model: LoadedModel?
        func get() throws -> LoadedModel {
            try lock.withLock {
                if let model { return model }
                let loaded = try LoadedModel(path: TestModel.path())
                model = loaded
                return loaded
            }
        }
    }

    private final class LoadOnce: @unchecked Sendable {
        // @unchecked: guarded by `lock`; concurrent tests must not download or parse twice.
        private let lock = NSLock()
        private var loaded: (Tokenizer, ChatTemplate)?
        func get() throws -> (tokenizer: Tokenizer, template: ChatTemplate) {
            try lock.withLock {
                if let loaded { return loaded }
                let file = try GGUFFile(path: TestModel.path())
                let tokenizer = try Tokenizer(gguf: file)
                let template = try file.string("tokenizer.chat_template").map { try ChatTemplate(source: $0) } ?? .chatml
                loaded = (tokenizer, template)
                return (tokenizer, template)
            }
        }
    }
}
