import Foundation
import Tern

/// The real default model and llama.cpp's reference outputs on it, for tests.
///
/// The model is never skipped: `.ci/run` obtains it the same way a user does
/// (`tern pull`), and a missing model is a test failure that says so.
enum TestModel {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "the default model is not at \(path). Run `swift run tern pull` (or set TERN_MODEL_PATH) before the tests."
        }
    }

    /// Path of the default model: `TERN_MODEL_PATH`, else the model store's default,
    /// obtained first if missing, exactly as `tern` does for a user.
    static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["TERN_MODEL_PATH"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
            return path
        }
        return try pull.get()
    }

    private static let pull = PullOnce()

    private final class PullOnce: @unchecked Sendable {
        // @unchecked: guarded by `lock`; concurrent tests must not download twice.
        private let lock = NSLock()
        func get() throws -> String {
            lock.lock()
            defer { lock.unlock() }
            return try ModelStore().ensureDefaultModel { print($0) }
        }
    }

    /// The loaded default model, shared by the tests in this process (it is immutable).
    static func load() throws -> LoadedModel {
        try cache.get()
    }

    private static let cache = LoadOnce()

    private final class LoadOnce: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var model: LoadedModel?
        func get() throws -> LoadedModel {
            lock.lock()
            defer { lock.unlock() }
            if let model { return model }
            let loaded = try LoadedModel(path: TestModel.path())
            model = loaded
            return loaded
        }
    }

    /// A file under Tests/TernTests/Fixtures.
    static func fixture(_ relativePath: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(relativePath)
    }
}

import Testing
