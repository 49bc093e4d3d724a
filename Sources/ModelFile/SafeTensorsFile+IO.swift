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
        let descriptor = fileSystem.open(path, O_RDONLY | O_CLOEXEC, 0)
        guard descriptor >= 0 else { throw SafeTensorsError.readFailed(path: path, reason: errnoText(errno)) }
        defer { _ = fileSystem.close(descriptor) }
        let size = fileSystem.size(descriptor)
        guard size >= 0 else { throw SafeTensorsError.readFailed(path: path, reason: errnoText(errno)) }
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let count = fileSystem.read(descriptor, UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + initialized, count: size - initialized))
                if count > 0 {
                    initialized += count
                } else if count == 0 {
                    break  // The file shrank while being read; decode reports what is missing.
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
        }
        if let failure { throw SafeTensorsError.readFailed(path: path, reason: errnoText(failure)) }
        return bytes
    }
}
