#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls that `AtomicFile` and `SafeTensorsFile.read` make, as replaceable
/// closures, so tests can fail the Nth call and check that nothing is left half-written
/// (SQLite's fault-simulation approach; style.md §5, §14).
///
/// Each closure follows the POSIX convention: it returns -1 (or a negative count) and sets
/// `errno` on failure.
public struct FileSystem: Sendable {
    public var open: @Sendable (_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32
    public var read: @Sendable (_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int
    public var write: @Sendable (_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
    /// The size of an open file, or -1.
    public var size: @Sendable (_ descriptor: Int32) -> Int
    public var fsync: @Sendable (_ descriptor: Int32) -> Int32
    public var close: @Sendable (_ descriptor: Int32) -> Int32
    public var rename: @Sendable (_ from: String, _ to: String) -> Int32
    public var unlink: @Sendable (_ path: String) -> Int32
    /// A second name for an existing file; fails with `EEXIST` when the new name is taken,
    /// which makes it the atomic "create only if absent" that `rename` is not.
    public var link: @Sendable (_ existing: String, _ new: String) -> Int32

    // MARK: Directories and metadata (the state directory's listing, mkdir and existence checks)

    /// `stat(2)` of a path: fills `status`, returns 0 (or -1 and sets `errno`).
    public var status: @Sendable (_ path: String, _ status: inout stat) -> Int32
    /// `mkdir(2)` of one directory.
    public var makeDirectory: @Sendable (_ path: String, _ mode: mode_t) -> Int32
    /// The names in a directory, without `.` and `..`, in no particular order; nil (and
    /// `errno` set) when it cannot be read.
    public var listDirectory: @Sendable (_ path: String) -> [String]?

    public init(open: @escaping @Sendable (String, Int32, mode_t) -> Int32,
                read: @escaping @Sendable (Int32, UnsafeMutableRawBufferPointer) -> Int,
                write: @escaping @Sendable (Int32, UnsafeRawBufferPointer) -> Int,
                size: @escaping @Sendable (Int32) -> Int,
                fsync: @escaping @Sendable (Int32) -> Int32,
                close: @escaping @Sendable (Int32) -> Int32,
                rename: @escaping @Sendable (String, String) -> Int32,
                unlink: @escaping @Sendable (String) -> Int32,
                link: @escaping @Sendable (String, String) -> Int32 = FileSystem.posixLink,
                status: @escaping @Sendable (String, inout stat) -> Int32 = FileSystem.posixStatus,
                makeDirectory: @escaping @Sendable (String, mode_t) -> Int32 = FileSystem.posixMakeDirectory,
                listDirectory: @escaping @Sendable (String) -> [String]? = FileSystem.posixListDirectory) {
        self.open = open
        self.read = read
        self.write = write
        self.size = size
        self.fsync = fsync
        self.close = close
        self.rename = rename
        self.unlink = unlink
        self.link = link
        self.status = status
        self.makeDirectory = makeDirectory
        self.listDirectory = listDirectory
    }

    /// The real `link(2)`.
    public static let posixLink: @Sendable (String, String) -> Int32 = { existing, new in
        #if canImport(Darwin)
        Darwin.link(existing, new)
        #elseif canImport(Glibc)
        Glibc.link(existing, new)
        #elseif canImport(Musl)
        Musl.link(existing, new)
        #endif
    }

    /// The real system calls.
    public static let posix = FileSystem(
        open: { path, flags, mode in
            #if canImport(Darwin)
            Darwin.open(path, flags, mode)
            #elseif canImport(Glibc)
            Glibc.open(path, flags, mode)
            #elseif canImport(Musl)
            Musl.open(path, flags, mode)
            #endif
        },
        read: { descriptor, buffer in
            #if canImport(Darwin)
            Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #elseif canImport(Glibc)
            Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #elseif canImport(Musl)
            Musl.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
        },
        write: { descriptor, bytes in
            #if canImport(Darwin)
            Darwin.write(descriptor, bytes.baseAddress, bytes.count)
            #elseif canImport(Glibc)
            Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            #elseif canImport(Musl)
            Musl.write(descriptor, bytes.baseAddress, bytes.count)
            #endif
        },
        size: { descriptor in
            var status = stat()
            return fstat(descriptor, &status) == 0 ? Int(status.st_size) : -1
        },
        fsync: { descriptor in
            #if canImport(Darwin)
            Darwin.fsync(descriptor)
            #elseif canImport(Glibc)
            Glibc.fsync(descriptor)
            #elseif canImport(Musl)
            Musl.fsync(descriptor)
            #endif
        },
        close: { descriptor in
            #if canImport(Darwin)
            Darwin.close(descriptor)
            #elseif canImport(Glibc)
            Glibc.close(descriptor)
            #elseif canImport(Musl)
            Musl.close(descriptor)
            #endif
        },
        rename: { from, to in
            #if canImport(Darwin)
            Darwin.rename(from, to)
            #elseif canImport(Glibc)
            Glibc.rename(from, to)
            #elseif canImport(Musl)
            Musl.rename(from, to)
            #endif
        },
        unlink: { path in
            #if canImport(Darwin)
            Darwin.unlink(path)
            #elseif canImport(Glibc)
            Glibc.unlink(path)
            #elseif canImport(Musl)
            Musl.unlink(path)
            #endif
        })
}

extension FileSystem {
    /// The whole content of `path`, read through these calls (so a test can fail any of them).
    /// A file that shrinks while it is read gives what was there.
    ///
    /// - Parameter limit: a file larger than this is refused, from its size, before anything
    ///   is allocated (a corrupt or hostile file cannot make the reader allocate gigabytes).
    /// - Throws: `FileError` naming the step, the path and the errno; `FileTooLargeError`.
    public func readAll(_ path: String, limit: Int = .max) throws -> [UInt8] {
        try readFile(path, count: .max, limit: limit).bytes
    }

    /// The first `count` bytes of `path` (fewer if the file is shorter) and the file's size,
    /// read through these calls.
    /// - Throws: `FileError` naming the step, the path and the errno.
    public func readPrefix(_ path: String, count wanted: Int) throws -> (bytes: [UInt8], size: Int) {
        try readFile(path, count: wanted, limit: .max)
    }

    /// The first `wanted` bytes of `path` and its size, refusing a file larger than `limit`.
    ///
    /// Files the kernel generates as they are read (`/proc`, cgroup files) report a size of 0
    /// but have content: those are read to their end (at most `limit` bytes), and their size is
    /// what was read.
    private func readFile(_ path: String, count wanted: Int, limit: Int) throws -> (bytes: [UInt8], size: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC, 0)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: path, code: errno) }
        defer { _ = close(descriptor) }
        let fileSize = self.size(descriptor)
        guard fileSize >= 0 else { throw FileError(operation: "stat", path: path, code: errno) }
        guard fileSize <= limit else { throw FileTooLargeError(path: path, size: fileSize, limit: limit) }
        if fileSize == 0 {
            return try readGenerated(descriptor, path: path, count: wanted, limit: limit)
        }
        let size = min(fileSize, wanted)
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let count = read(descriptor, UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + initialized,
                                                                           count: size - initialized))
                if count > 0 {
                    initialized += count
                } else if count == 0 {
                    break
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
        }
        if let failure { throw FileError(operation: "read", path: path, code: failure) }
        return (bytes, fileSize)
    }

    /// Reads a file whose size is unknown (reported as 0) in pages until its end, `wanted`
    /// bytes, or more than `limit` bytes (refused).
    private func readGenerated(_ descriptor: Int32, path: String, count wanted: Int,
                               limit: Int) throws -> (bytes: [UInt8], size: Int) {
        var bytes: [UInt8] = []
        var page = [UInt8](repeating: 0, count: 4096)
        while bytes.count < wanted {
            let count = page.withUnsafeMutableBytes { read(descriptor, $0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: "read", path: path, code: errno)
            }
            if count == 0 { break }
            bytes += page[..<count]
            guard bytes.count <= limit else { throw FileTooLargeError(path: path, size: bytes.count, limit: limit) }
        }
        let size = bytes.count
        if bytes.count > wanted { bytes.removeLast(bytes.count - wanted) }
        return (bytes, size)
    }
}

/// A file larger than a reader's limit, refused before its content was read.
public struct FileTooLargeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    /// Its size in bytes (for a generated file, what had been read when it passed the limit).
    public let size: Int
    public let limit: Int

    public init(path: String, size: Int, limit: Int) {
        self.path = path
        self.size = size
        self.limit = limit
    }

    public var description: String { "\(path): \(size) bytes exceeds the limit of \(limit) bytes" }
}

/// The text of the current `errno`.
public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
