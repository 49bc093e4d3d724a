#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import Testing
import TestSupport
import Platform

/// `FileSystem.readAll`: the size cap is applied from the file's size before anything is
/// read, and files the kernel generates (size 0 in `fstat`) are read to their end.
@Suite struct FileSystemReadTests {
    /// A file over the limit is refused with its size, and not one byte of it is read.
    @Test func limitIsCheckedBeforeReading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write([UInt8](repeating: 7, count: 1000), to: "big")
        let reads = CallCount()
        var counting = FileSystem.posix
        counting.read = { descriptor, buffer in
            reads.calls.withLock { $0 += 1 }
            return FileSystem.posix.read(descriptor, buffer)
        }
        #expect(throws: FileTooLargeError(path: path, size: 1000, limit: 999)) {
            try counting.readAll(path, limit: 999)
        }
        #expect(reads.calls.withLock { $0 } == 0)
        #expect(try counting.readAll(path, limit: 1000) == [UInt8](repeating: 7, count: 1000))
    }

    /// /proc files report a size of 0; their content is still read, and capped.
    @Test func generatedFilesAreReadToTheirEnd() throws {
        #if os(Linux)
        let status = String(decoding: try FileSystem.posix.readAll("/proc/self/status"), as: UTF8.self)
        #expect(status.contains("Cpus_allowed:"))
        #expect(throws: FileTooLargeError.self) { try FileSystem.posix.readAll("/proc/self/status", limit: 10) }
        let (prefix, _) = try FileSystem.posix.readPrefix("/proc/self/status", count: 5)
        #expect(prefix == Array(status.utf8.prefix(5)))
        #endif
    }

    /// A failing call is a `FileError` naming the step and the errno.
    @Test func failuresNameTheStep() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write([1, 2, 3], to: "small")
        var failing = FileSystem.posix
        failing.read = { _, _ in errno = EIO; return -1 }
        #expect(throws: FileError(operation: "read", path: path, code: EIO)) { try failing.readAll(path) }
        #expect(throws: FileError(operation: "open", path: directory.file("missing"), code: ENOENT)) {
            try FileSystem.posix.readAll(directory.file("missing"))
        }
    }
}

/// Calls counted from any thread.
private final class CallCount: Sendable {
    let calls = Mutex(0)
}
