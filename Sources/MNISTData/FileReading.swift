#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain POSIX calls, so that every failure carries its errno text and a
/// size cap is enforced from `fstat` before anything is allocated.
enum FileReading {
    /// Reads all of `path`, refusing files larger than `limit` bytes.
    static func readAll(path: String, limit: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MNISTDataError.readFailed(path: path, reason: errnoText()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MNISTDataError.readFailed(path: path, reason: errnoText())
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw MNISTDataError.readFailed(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= limit else { throw MNISTDataError.fileTooLarge(path: path, size: size, limit: limit) }

        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let got = read(descriptor, buffer.baseAddress! + initialized, size - initialized)
                if got > 0 {
                    initialized += got
                } else if got == 0 {
                    break  // The file shrank while we read it; what we have is what there is.
                } else if errno != EINTR {
                    failure = errnoText()
                    break
                }
            }
        }
        if let failure { throw MNISTDataError.readFailed(path: path, reason: failure) }
        return bytes
    }

    /// Whether `path` names an existing file (of any kind other than a directory).
    static func fileExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFDIR
    }

    /// Whether `path` names an existing directory.
    static func directoryExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
