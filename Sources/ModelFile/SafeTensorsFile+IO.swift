import Platform

extension SafeTensorsFile {
    /// Reads and validates the file at `path` (see `decode`).
    ///
    /// - Throws: `SafeTensorsError` naming `path`.
    public static func read(path: String, fileSystem: FileSystem = .posix) throws -> SafeTensorsFile {
        try decode(try reading(path) { try fileSystem.readAll(path) }, path: path)
    }

    /// Reads and validates only the header of the file at `path`: its metadata and each
    /// tensor's dtype and shape, checked (offsets, sizes, tiling) against the file's size, with
    /// no tensor data read. What a registry needs to list a model without loading it.
    ///
    /// - Throws: `SafeTensorsError` naming `path`.
    public static func readHeader(path: String, fileSystem: FileSystem = .posix) throws -> SafeTensorsHeader {
        let (lengthBytes, size) = try reading(path) { try fileSystem.readPrefix(path, count: 8) }
        let length = try headerLength(lengthBytes, fileSize: size, path: path)
        let (prefix, fileSize) = try reading(path) { try fileSystem.readPrefix(path, count: 8 + length) }
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

    /// `body`'s result, with a failed file operation turned into `SafeTensorsError.readFailed`.
    private static func reading<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
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
