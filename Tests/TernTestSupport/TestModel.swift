import Foundation
import Tern

/// The real default model, for the tests of every target that runs it.
///
/// The model is never skipped: `.ci/run` obtains it the same way a user does
/// (`tern pull`), and a missing model is a test failure that says so. Each test target
/// names this type `TestModel` and adds what only it needs (fixtures, the vocabulary).
public enum TestModel {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "the default model is not at \(path). Run `swift run tern pull` (or set TERN_MODEL_PATH) before the tests."
        }
    }

    /// Path of the default model: `TERN_MODEL_PATH`, else the model store's default,
    /// obtained first if missing, exactly as `tern` does for a user.
    public static func path() throws -> String {
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
            try lock.withLock { try ModelStore().ensureDefaultModel { print($0) } }
        }
    }

    /// The loaded default model, shared by the tests in this process (it is immutable).
    public static func load() throws -> LoadedModel {
        try cache.get()
    }

    private static let cache = LoadOnce()

    private final class LoadOnce: @unchecked Sendable {
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
}
