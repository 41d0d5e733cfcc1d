import Foundation
import TernTestSupport
import Testing

/// The real default model (shared with the server tests) and llama.cpp's reference
/// outputs on it, for tests.
typealias TestModel = TernTestSupport.TestModel

extension TestModel {
    /// A file under Tests/TernTests/Fixtures.
    static func fixture(_ relativePath: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(relativePath)
    }
}
