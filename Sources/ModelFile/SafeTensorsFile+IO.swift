#if canImport(Glibc)
import Platform
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

    /// Reads and validates only the header of the file at `path`: its metadata and each
    /// tensor's dtype and shape, checked (offsets, sizes, tiling) against the file's size, with
    /// no tensor data read. What a registry needs to list a model without loading it.
    ///
    /// - Throws: `SafeTensorsError` naming `path`.
    public static func readHeader(path: String, fileSystem: FileSystem = .posix) throws -> SafeTensorsHeader {
        let (lengthBytes, size) = try readPrefix(path: path, count: 8, fileSystem: fileSystem)
        let length = try headerLength(lengthBytes, fileSize: size, path: path)
        let (prefix, fileSize) = try readPrefix(path: path, count: 8 + length, fileSystem: fileSystem)
        let header = try decodeHeader(prefix, fileSize: fileSize, path: path)
        return SafeTensorsHeader(metadata: header.metadata,
                                 shapes: Dictionary(uniqueKeysWithValues: header.entries.map { ($0.name, $0.shape) }))
    }

    /// Writes the file atomically (see `AtomicFile.write`).
    ///
    /// - Throws: `FileError` naming the path and the failed step.
    public func write(path: String, fileSystem: FileSystem = .posix) throws {
        try AtomicFile.write(encode(), to: path, fileSystem: fileSystem)
    }

    private static func readPrefix(path: String, count: Int, fileSystem: FileSystem) throws -> (bytes: [UInt8], size: Int) {
        do {
            return try fileSystem.readPrefix(path, count: count)
        } catch let error as FileError {
            throw SafeTensorsError.readFailed(path: path, reason: errnoText(error.code))
        }
    }

    private static func readAll(path: String, fileSystem: FileSystem) throws -> [UInt8] {
        do {
            return try fileSystem.readAll(path)
        } catch let error as FileError {
            throw SafeTensorsError.readFailed(path: path, reason: errnoText(error.code))
        }
    }
}

/// A safetensors file's header, read without its tensor data.
public struct SafeTensorsHeader: Sendable {
    /// The `__metadata__` strings.
    public var metadata: [String: String]
    /// Each tensor's shape by name.
    public var shapes: [String: [Int]]

    public init(metadata: [String: String], shapes: [String: [Int]]) {
        self.metadata = metadata
        self.shapes = shapes
    }

    /// The values all the tensors hold together.
    public var elementCount: Int { shapes.values.reduce(0) { $0 + $1.reduce(1, *) } }
}
