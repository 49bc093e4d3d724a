#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation: which step, on which path (the target file, or its directory for
/// the directory sync), with the system's errno.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The step that failed, e.g. `write temporary file`, `fsync directory`.
    public let operation: String
    public let path: String
    public let code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(path): \(operation) failed: \(errnoText(code))" }
}

/// Whole-file replacement that a crash or a full disk cannot leave half-done.
public enum AtomicFile {
    /// Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`,
    /// never a mix, even across a crash or power loss.
    ///
    /// The bytes go to a fresh temporary file in the same directory (same file system, so the
    /// rename is atomic), which is fsynced, then renamed over `path`; then the directory is
    /// fsynced so the rename itself is durable. On a failure before the rename the temporary
    /// file is removed and `path` is untouched. A failure while syncing the directory after the
    /// rename is still thrown (durability is not confirmed), but `path` already holds the new
    /// content in full.
    ///
    /// - Throws: `FileError` naming the step, the path and the errno.
    public static func write(_ bytes: [UInt8], to path: String, fileSystem: FileSystem = .posix) throws {
        let directory = directoryName(of: path)
        let temporary = temporaryPath(for: path, in: directory)
        let descriptor = fileSystem.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(operation: "create temporary file", path: path, code: errno) }

        /// Closes (if still open) and removes the temporary file, then throws the first failure.
        func abandon(_ operation: String, code: Int32, open: Bool) throws -> Never {
            if open { _ = fileSystem.close(descriptor) }
            _ = fileSystem.unlink(temporary)
            throw FileError(operation: operation, path: path, code: code)
        }

        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let count = fileSystem.write(descriptor, UnsafeRawBufferPointer(rebasing: raw[written...]))
                if count > 0 {
                    written += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    // A zero-byte write of a non-empty buffer makes no progress: treat as I/O error.
                    try abandon("write temporary file", code: count < 0 ? errno : EIO, open: true)
                }
            }
        }
        if fileSystem.fsync(descriptor) != 0 { try abandon("fsync temporary file", code: errno, open: true) }
        if fileSystem.close(descriptor) != 0 { try abandon("close temporary file", code: errno, open: false) }
        if fileSystem.rename(temporary, path) != 0 { try abandon("rename temporary file over it", code: errno, open: false) }

        let directoryDescriptor = fileSystem.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard directoryDescriptor >= 0 else { throw FileError(operation: "open directory to sync it", path: directory, code: errno) }
        if fileSystem.fsync(directoryDescriptor) != 0 {
            let code = errno
            _ = fileSystem.close(directoryDescriptor)
            throw FileError(operation: "fsync directory", path: directory, code: code)
        }
        _ = fileSystem.close(directoryDescriptor)
    }

    /// The directory part of `path` (`.` when there is none).
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A hidden, unique sibling of `path`: `.name.tmp-<pid>-<random>`.
    static func temporaryPath(for path: String, in directory: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return (directory == "/" ? "" : directory) + "/.\(name).tmp-\(getpid())-\(suffix)"
    }
}
