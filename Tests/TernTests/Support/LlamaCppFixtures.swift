import Foundation
import Tern

/// llama.cpp's tokenizer test vocabularies (`models/ggml-vocab-*.gguf`, MIT), too
/// large to commit: fetched once, like the model, from the `llama-cpp-python==0.3.36`
/// source distribution on PyPI (llama.cpp 0c1e570), checked by SHA-256, and kept in
/// `$TERN_HOME/test-fixtures/`. Their small `.inp`/`.out` test vectors are committed.
enum LlamaCppFixtures {
    static let sdistURL = "https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz"
    static let sdistSHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
    static let vocabularies = ["gpt-2", "llama-bpe", "qwen2"]

    static var directory: URL { ModelStore().home.appendingPathComponent("test-fixtures/llama.cpp-0c1e570") }

    /// Path of `ggml-vocab-<name>.gguf`, fetching the set first if it is missing.
    static func vocabulary(_ name: String) throws -> String {
        try fetchOnce.get()
        return directory.appendingPathComponent("ggml-vocab-\(name).gguf").path
    }

    struct FetchFailed: Error, CustomStringConvertible {
        let description: String
    }

    private static let fetchOnce = FetchOnce()

    private final class FetchOnce: @unchecked Sendable {
        // @unchecked: guarded by `lock`; tests in parallel must not download twice.
        private let lock = NSLock()
        private var done = false

        func get() throws {
            lock.lock()
            defer { lock.unlock() }
            let fm = FileManager.default
            let missing = vocabularies.filter {
                !fm.fileExists(atPath: directory.appendingPathComponent("ggml-vocab-\($0).gguf").path)
            }
            if done || missing.isEmpty { return }
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            // Download, verify, extract the three files; each lands by rename, so a
            // stopped run never leaves a partial fixture behind.
            let script = """
                import hashlib, io, os, sys, tarfile, urllib.request
                url, sha, out = sys.argv[1], sys.argv[2], sys.argv[3]
                data = urllib.request.urlopen(url, timeout=300).read()
                if hashlib.sha256(data).hexdigest() != sha:
                    sys.exit('checksum mismatch for ' + url)
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    for member in tar.getmembers():
                        name = os.path.basename(member.name)
                        if '/vendor/llama.cpp/models/' in member.name and name.startswith('ggml-vocab-') \\
                                and name[len('ggml-vocab-'):-len('.gguf')] in sys.argv[4:] and name.endswith('.gguf'):
                            partial = os.path.join(out, name + '.partial')
                            with open(partial, 'wb') as f:
                                f.write(tar.extractfile(member).read())
                            os.replace(partial, os.path.join(out, name))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, sdistURL, sdistSHA256, directory.path] + vocabularies
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw FetchFailed(description: "could not fetch llama.cpp's vocabulary fixtures from \(sdistURL) (python3 exit \(process.terminationStatus))")
            }
            done = true
        }
    }
}
