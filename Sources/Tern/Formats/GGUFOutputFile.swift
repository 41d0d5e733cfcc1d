#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written next to its final path and renamed into place only when
/// complete, so an interrupted or failed write never leaves a truncated output.
///
/// Small writes (the header) are gathered in a buffer; large ones (tensor data)
/// go straight to the file. Every failure is a `GGUFError.cannotWrite` naming
/// the final path; the caller calls `discard()` on failure to delete the temporary.
final class GGUFOutputFile {
    let path: String
    let temporaryPath: String
    /// Bytes appended so far, including those still in the buffer.
    private(set) var written = 0
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let bufferLimit = 1 << 20

    init(path: String) throws(GGUFError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw .cannotWrite(path: path, reason: "the path names a directory, not a file") }
        // pid + random keeps two writers of the same output from sharing a temporary.
        temporaryPath = "\(directory).\(name).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .cannotWrite(path: path, reason: "cannot create the temporary file '\(temporaryPath)': \(Self.lastError())")
        }
        buffer.reserveCapacity(Self.bufferLimit)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        if buffer.count + bytes.count > Self.bufferLimit { try flush() }
        if bytes.count >= Self.bufferLimit {
            try writeFully(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        written += bytes.count
    }

    func append(contentsOf bytes: [UInt8]) throws(GGUFError) {
        // Array.withUnsafeBytes only rethrows untyped errors; Result keeps the type.
        try bytes.withUnsafeBytes { raw in Result { () throws(GGUFError) in try append(raw) } }.get()
    }

    func append<T: FixedWidthInteger>(_ value: T) throws(GGUFError) {
        try append(contentsOf: withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    /// Appends a GGUF string: u64 byte length, then UTF-8 bytes (no terminator).
    func append(string: String) throws(GGUFError) {
        let utf8 = Array(string.utf8)
        try append(UInt64(utf8.count))
        try append(contentsOf: utf8)
    }

    /// Appends zero bytes up to the next multiple of `alignment`.
    func pad(to alignment: Int) throws(GGUFError) {
        let rest = written % alignment
        guard rest != 0 else { return }
        try append(contentsOf: [UInt8](repeating: 0, count: alignment - rest))
    }

    /// Flushes, syncs to disk and renames the temporary over `path`.
    func commit() throws(GGUFError) {
        try flush()
        guard fsync(fd) == 0 else { throw .cannotWrite(path: path, reason: "fsync failed: \(Self.lastError())") }
        let result = close(fd)
        fd = -1
        guard result == 0 else { throw .cannotWrite(path: path, reason: "close failed: \(Self.lastError())") }
        guard rename(temporaryPath, path) == 0 else {
            throw .cannotWrite(path: path, reason: "cannot rename '\(temporaryPath)' into place: \(Self.lastError())")
        }
    }

    /// Closes and deletes the temporary; the final path is left as it was.
    func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temporaryPath)
    }

    private func flush() throws(GGUFError) {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { raw in Result { () throws(GGUFError) in try writeFully(raw) } }.get()
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, next, left)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .cannotWrite(path: path, reason: Self.lastError()) }
            next += n
            left -= n
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
