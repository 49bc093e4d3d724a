#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory listing, `mkdir -p` and existence checks through `FileSystem`'s replaceable calls,
/// so the state directory's bookkeeping can be failed by a test like its reads and writes.
extension FileSystem {
    /// The real `stat(2)`.
    public static let posixStatus: @Sendable (String, inout stat) -> Int32 = { path, status in
        stat(path, &status)
    }

    /// The real `mkdir(2)`.
    public static let posixMakeDirectory: @Sendable (String, mode_t) -> Int32 = { path, mode in
        mkdir(path, mode)
    }

    /// The real `opendir(3)`/`readdir(3)`.
    public static let posixListDirectory: @Sendable (String) -> [String]? = { path in
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether `path` names anything (a link is followed); a path that cannot be looked at
    /// counts as absent, as with `FileManager.fileExists`.
    public func fileExists(_ path: String) -> Bool {
        var info = stat()
        return status(path, &info) == 0
    }

    /// Whether `path` is a directory (a link is followed).
    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return status(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// When `path` was last modified, in seconds since 1970; nil when it cannot be looked at.
    public func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard status(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        return Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) * 1e-9
        #else
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9
        #endif
    }

    /// The names in `directory`, without `.` and `..`, in no particular order.
    /// - Throws: `FileError` when it cannot be read.
    public func contentsOfDirectory(_ directory: String) throws -> [String] {
        guard let names = listDirectory(directory) else {
            throw FileError(operation: "list", path: directory, code: errno)
        }
        return names
    }

    /// `mkdir -p`: creates `path` and the parents it lacks with `mode` (less the umask; 0777
    /// as `FileManager` does by default); a directory already there is fine.
    /// - Throws: `FileError` naming the directory that could not be made (`ENOTDIR` when a
    ///   file other than a directory stands in the way).
    public func createDirectories(_ path: String, mode: mode_t = 0o777) throws {
        guard !isDirectory(path) else { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix) && makeDirectory(prefix, mode) != 0 {
                let code = errno
                guard code == EEXIST else { throw FileError(operation: "create directory", path: prefix, code: code) }
                // Made by someone else meanwhile, or a file that is not a directory.
                guard isDirectory(prefix) else { throw FileError(operation: "create directory", path: prefix, code: ENOTDIR) }
            }
            prefix += "/"
        }
    }
}
