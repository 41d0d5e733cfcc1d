#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Weights are used in place from it,
/// so the model costs page cache, not heap.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path` read-only.
    /// - Throws: `GGUFError.cannotOpen` when the file is missing, unreadable or empty.
    public init(path: String) throws(GGUFError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw .cannotOpen(path: path, reason: "the file is empty") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Drops the resident pages of the first `count` bytes: the header, once parsed, is not
    /// read again (about 1.8 MB for SmolLM2, mostly the tokenizer's strings). Only whole pages
    /// go; reading them later is still correct, since the map is private and read-only, so the
    /// kernel simply reads them from the file again.
    public func releasePages(below count: Int) {
        releasePages(in: 0..<count)
    }

    /// Drops the resident pages that lie wholly inside `range` (byte offsets), e.g. a
    /// tensor whose bytes were copied into another layout. Pages shared with bytes
    /// outside the range stay.
    public func releasePages(in range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0, let base = bytes.baseAddress else { return }
        let start = (max(range.lowerBound, 0) + page - 1) / page * page
        let end = min(range.upperBound, bytes.count) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
