import Foundation
import Tern
import TernTestSupport

/// The default model (shared with the library's tests): its tokenizer and chat template,
/// for prompts built exactly as the server builds them, and the whole model for the real engine.
typealias TestModel = TernTestSupport.TestModel

extension TestModel {
    /// Tokenizer and chat template of the default model, read once per process (both are immutable).
    static func vocabulary() throws -> (tokenizer: Tokenizer, template: ChatTemplate) {
        try vocabularyCache.get()
    }

    private static let vocabularyCache = VocabularyOnce()

    private final class VocabularyOnce: @unchecked Sendable {
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
