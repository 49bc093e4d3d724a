#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensorsFile {
    /// Reads and validates the file at `path` (see `decode`).
    ///
    /// - Throws: `SafeTensorsError` naming `path`.
    public static func read(path: String, fileSystem: FileSystem = .posix) throws -> SafeTensorsFile {
        try decode(try readAll(path: path, fileSystem: fileSystem), path: path)
    }

    /// Writes the file atomically (see `AtomicFile.write`).
    ///
    /// - Throws: `FileError` naming the path and the failed step.
    public func write(path: String, fileSystem: FileSystem = .posix) throws {
        try AtomicFile.write(encode(), to: path, fileSystem: fileSystem)
    }

    private static func readAll(path: String, fileSystem: FileSystem) throws -> [UInt8] {
        do {
            return try fileSystem.readAll(path)
        } catch let error as FileError {
            throw SafeTensorsError.readFailed(path: path, reason: errnoText(error.code))
        }
    }
}
