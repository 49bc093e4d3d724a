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
    /// What a write that returned (did not throw) achieved. Once the rename has happened the
    /// new content is what every reader sees, so the write is reported as done either way:
    /// a caller must never report failure (or retry) for a change that is already visible.
    public enum Commit: Equatable, Sendable {
        /// The content is in place and the directory entry is synced to disk.
        case durable
        /// The content is in place, but syncing the directory failed, so a power loss (not a
        /// process crash) could still bring the old file back. Worth a log line, not an error.
        case unsyncedDirectory(FileError)
    }

    /// Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`,
    /// never a mix, even across a crash or power loss.
    ///
    /// The bytes go to a fresh temporary file in the same directory (same file system, so the
    /// rename is atomic), which is fsynced, then renamed over `path`; then the directory is
    /// fsynced so the rename itself is durable. On a failure before the rename the temporary
    /// file is removed, `path` is untouched and the error is thrown. After the rename nothing
    /// is thrown: a failed directory sync comes back as `.unsyncedDirectory`.
    ///
    /// - Parameter mode: the permissions of the new file (before the umask), e.g. 0o600 for a secret.
    /// - Throws: `FileError` naming the step, the path and the errno, only while `path` is unchanged.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644,
                             fileSystem: FileSystem = .posix) throws -> Commit {
        let directory = directoryName(of: path)
        let temporary = try writeTemporary(bytes, for: path, in: directory, mode: mode, fileSystem: fileSystem)
        if fileSystem.rename(temporary, path) != 0 {
            let code = errno
            _ = fileSystem.unlink(temporary)
            throw FileError(operation: "rename temporary file over it", path: path, code: code)
        }
        return syncDirectory(directory, fileSystem: fileSystem)
    }

    /// Creates `path` holding `bytes` only if nothing has that name yet, atomically: the content
    /// is written and synced under a temporary name first, then given the final name with
    /// `link(2)`, which fails when the name exists. So when several processes race to create
    /// the same file, exactly one wins and every one of them then reads the winner's complete
    /// content (never an empty or partial file).
    ///
    /// - Returns: true when this call created the file, false when it already existed (its
    ///   content untouched).
    /// - Throws: `FileError` when the file could not be written; nothing is left behind.
    @discardableResult
    public static func createIfAbsent(_ bytes: [UInt8], at path: String, mode: mode_t = 0o644,
                                      fileSystem: FileSystem = .posix) throws -> Bool {
        let directory = directoryName(of: path)
        let temporary = try writeTemporary(bytes, for: path, in: directory, mode: mode, fileSystem: fileSystem)
        let linked = fileSystem.link(temporary, path)
        let code = errno
        _ = fileSystem.unlink(temporary)
        if linked != 0 {
            if code == EEXIST { return false }
            throw FileError(operation: "link the new file into place", path: path, code: code)
        }
        _ = syncDirectory(directory, fileSystem: fileSystem)
        return true
    }

    /// Writes `bytes` to a new temporary sibling of `path`, fsynced and closed, and returns its
    /// path; on any failure removes it and throws.
    private static func writeTemporary(_ bytes: [UInt8], for path: String, in directory: String, mode: mode_t,
                                       fileSystem: FileSystem) throws -> String {
        let temporary = temporaryPath(for: path, in: directory)
        let descriptor = fileSystem.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
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
        return temporary
    }

    /// Fsyncs `directory` so a rename or link in it survives a power loss.
    private static func syncDirectory(_ directory: String, fileSystem: FileSystem) -> Commit {
        let directoryDescriptor = fileSystem.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard directoryDescriptor >= 0 else {
            return .unsyncedDirectory(FileError(operation: "open directory to sync it", path: directory, code: errno))
        }
        if fileSystem.fsync(directoryDescriptor) != 0 {
            let code = errno
            _ = fileSystem.close(directoryDescriptor)
            return .unsyncedDirectory(FileError(operation: "fsync directory", path: directory, code: code))
        }
        _ = fileSystem.close(directoryDescriptor)
        return .durable
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
