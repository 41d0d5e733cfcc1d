import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bare TCP client, so a test can hang up in the middle of a response the way a real client does.
#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif

final class RawHTTPSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var descriptor: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close()
            throw Failure(description: "connect() to port \(port) failed: errno \(errno)")
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure(description: "write() failed: errno \(errno)") }
            sent += count
        }
    }

    /// Sends a POST with a JSON body.
    func sendJSON(path: String, body: String) throws {
        try send(
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
    }

    /// Bytes received and not yet returned by `readResponse`.
    private var pending: [UInt8] = []
    private var atEnd = false

    /// Reads what has arrived, waiting (with `Task.sleep`, never blocking a thread of the small
    /// cooperative pool that the server under test runs on too) until something has or `deadline`
    /// passes. Returns false at the end of the stream or the deadline.
    private func receive(before deadline: ContinuousClock.Instant) async throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !atEnd && ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                atEnd = true
                break
            }
            pending += buffer[..<count]
            return true
        }
        return false
    }

    /// Reads until `marker` has arrived or `timeout` passes; returns everything read.
    func read(until marker: String, timeout: Duration) async throws -> String {
        try await read(timeout: timeout, description: "'\(marker)'") { $0.contains(marker) }
    }

    /// Reads until the text received so far satisfies `done` or `timeout` passes; returns it.
    func read(timeout: Duration, description: String, until done: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while !done(String(decoding: pending, as: UTF8.self)) {
            guard try await receive(before: deadline) else { break }
        }
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        guard done(text) else { throw Failure(description: "no \(description) within \(timeout); got: \(text)") }
        return text
    }

    /// Reads one whole response: its status, its head (lowercased) and its body, delimited by
    /// `Content-Length`, decoded from chunked transfer encoding, or read until the server closes.
    func readResponse(timeout: Duration) async throws -> (status: Int, headers: String, body: String) {
        let deadline = ContinuousClock.now + timeout
        let separator = Array("\r\n\r\n".utf8)
        var headerEnd: Int? = nil
        while headerEnd == nil {
            headerEnd = pending.firstRange(of: separator)?.upperBound
            if headerEnd == nil, !(try await receive(before: deadline)) {
                throw Failure(description: "no response head within \(timeout); got: \(String(decoding: pending, as: UTF8.self))")
            }
        }
        guard let headerEnd else { throw Failure(description: "unreachable") }
        let head = String(decoding: pending[..<headerEnd], as: UTF8.self).lowercased()
        let lines = head.components(separatedBy: "\r\n")
        let statusWords = lines[0].split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw Failure(description: "not an HTTP status line: \(lines[0])")
        }
        func header(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name + ":") }.map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        var body: [UInt8] = []
        var position = headerEnd
        if let length = header("content-length").flatMap(Int.init) {
            while pending.count < headerEnd + length {
                guard try await receive(before: deadline) else { throw Failure(description: "the body ended early") }
            }
            body = Array(pending[headerEnd..<headerEnd + length])
            position = headerEnd + length
        } else if header("transfer-encoding") == "chunked" {
            let lineEnd = Array("\r\n".utf8)
            while true {
                var sizeLine = pending[position...].firstRange(of: lineEnd)
                while sizeLine == nil {
                    guard try await receive(before: deadline) else { throw Failure(description: "the chunked body ended early") }
                    sizeLine = pending[position...].firstRange(of: lineEnd)
                }
                guard let sizeLine, let size = Int(String(decoding: pending[position..<sizeLine.lowerBound], as: UTF8.self), radix: 16)
                else { throw Failure(description: "a malformed chunk size") }
                let chunkEnd = sizeLine.upperBound + size + 2
                while pending.count < chunkEnd {
                    guard try await receive(before: deadline) else { throw Failure(description: "a chunk ended early") }
                }
                body += pending[sizeLine.upperBound..<sizeLine.upperBound + size]
                position = chunkEnd
                if size == 0 { break }
            }
        } else {
            while try await receive(before: deadline) {}
            body = Array(pending[headerEnd...])
            position = pending.count
        }
        pending.removeFirst(position)
        return (status, head, String(decoding: body, as: UTF8.self))
    }

    func close() {
        if descriptor >= 0 {
            #if canImport(Glibc)
            _ = Glibc.close(descriptor)
            #else
            _ = Darwin.close(descriptor)
            #endif
            descriptor = -1
        }
    }

    deinit { close() }
}
