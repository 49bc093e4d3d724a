import Platform
import Zlib

/// One IDX file (the format MNIST ships in): a 4-byte magic number `00 00 08 n` (unsigned-byte
/// elements, `n` dimensions), `n` big-endian 32-bit sizes, then the elements row-major.
///
/// Parsing checks everything before trusting it: the magic and element type, that the sizes
/// multiply to a sane number (before allocating), and that the payload is exactly that long, so a
/// wrong, truncated or padded file is an error naming the file rather than a crash or garbage.
public struct IDXFile: Equatable, Sendable {
    /// The element type code for unsigned bytes, the only one MNIST uses.
    public static let unsignedByteType: UInt8 = 0x08
    /// The default cap on elements: 256 Mi, over five times the largest MNIST-style file
    /// (EMNIST by_class, ~550 MB, is the exception and would need a larger cap).
    public static let defaultMaximumElements = 1 << 28

    /// The sizes, outermost first (count, rows, columns for images; count for labels).
    public let dimensions: [Int]
    /// The elements, row-major; `data.count` is the product of `dimensions`.
    public let data: [UInt8]

    /// Builds a file from parts; `data.count` must equal the product of `dimensions`.
    public init(dimensions: [Int], data: [UInt8]) {
        precondition(dimensions.reduce(1, *) == data.count, "IDX data size must match its dimensions")
        self.dimensions = dimensions
        self.data = data
    }

    /// The magic number of an unsigned-byte IDX file with `dimensionCount` dimensions:
    /// 0x00000801 for labels, 0x00000803 for images.
    public static func magic(dimensionCount: Int) -> UInt32 {
        UInt32(unsignedByteType) << 8 | UInt32(dimensionCount)
    }

    /// Reads and parses `path`, gzipped or plain (recognised by the gzip magic, not the name).
    ///
    /// - Parameters:
    ///   - dimensionCount: 1 for labels (idx1), 3 for images (idx3).
    ///   - maximumElements: files whose dimensions promise more are refused before allocating.
    ///   - fileSystem: the calls the file is read through (tests inject faults).
    /// - Throws: `MNISTDataError` naming `path`.
    public static func read(path: String, dimensionCount: Int, maximumElements: Int = defaultMaximumElements,
                            fileSystem: FileSystem = .posix) throws -> IDXFile {
        let decodedLimit = headerSize(dimensionCount: dimensionCount) + maximumElements
        let raw: [UInt8]
        do {
            // The cap applies to the file as stored too: it is checked from the file's size
            // before anything is allocated.
            raw = try fileSystem.readAll(path, limit: decodedLimit)
        } catch let error as FileError {
            throw MNISTDataError.readFailed(path: path, reason: errnoText(error.code))
        } catch let error as FileTooLargeError {
            throw MNISTDataError.fileTooLarge(path: path, size: error.size, limit: error.limit)
        }
        let bytes: [UInt8]
        if Zlib.isGzip(raw) {
            do {
                bytes = try Zlib.inflate(raw, format: .gzip, limit: decodedLimit)
            } catch let error as Zlib.Error {
                throw MNISTDataError.decompressionFailed(path: path, reason: error.description)
            }
        } else {
            bytes = raw
        }
        return try decode(bytes, path: path, dimensionCount: dimensionCount, maximumElements: maximumElements)
    }

    /// Parses the (already decompressed) bytes of an IDX file; `path` only names it in errors.
    public static func decode(_ bytes: [UInt8], path: String, dimensionCount: Int,
                              maximumElements: Int = defaultMaximumElements) throws -> IDXFile {
        let expectedMagic = magic(dimensionCount: dimensionCount)
        guard bytes.count >= 4 else {
            throw MNISTDataError.headerTruncated(path: path, size: bytes.count, needed: headerSize(dimensionCount: dimensionCount))
        }
        let foundMagic = bigEndianUInt32(bytes, at: 0)
        // Bytes 0-1 are always zero in IDX; byte 2 is the type; byte 3 the dimension count.
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw MNISTDataError.wrongMagic(path: path, expected: expectedMagic, found: foundMagic)
        }
        guard bytes[2] == unsignedByteType else {
            throw MNISTDataError.unsupportedDataType(path: path, code: bytes[2])
        }
        guard Int(bytes[3]) == dimensionCount else {
            throw MNISTDataError.wrongMagic(path: path, expected: expectedMagic, found: foundMagic)
        }
        let header = headerSize(dimensionCount: dimensionCount)
        guard bytes.count >= header else {
            throw MNISTDataError.headerTruncated(path: path, size: bytes.count, needed: header)
        }
        var dimensions = [Int]()
        dimensions.reserveCapacity(dimensionCount)
        var elements = 1
        var overflowed = false
        for index in 0..<dimensionCount {
            let size = Int(bigEndianUInt32(bytes, at: 4 + 4 * index))
            dimensions.append(size)
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            overflowed = overflowed || overflow
            elements = product
        }
        // Each size is capped on its own too, so that a zero count cannot hide rows x columns
        // that overflow when a caller multiplies them.
        guard !overflowed, elements <= maximumElements, dimensions.allSatisfy({ $0 <= maximumElements }) else {
            throw MNISTDataError.dimensionsTooLarge(path: path, dimensions: dimensions, limit: maximumElements)
        }
        let payload = bytes.count - header
        guard payload >= elements else {
            throw MNISTDataError.payloadTruncated(path: path, expected: elements, found: payload)
        }
        guard payload == elements else {
            throw MNISTDataError.trailingBytes(path: path, expected: elements, found: payload)
        }
        return IDXFile(dimensions: dimensions, data: Array(bytes[header...]))
    }

    /// The file's bytes (uncompressed): what `decode` reads back.
    public func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.headerSize(dimensionCount: dimensions.count) + data.count)
        appendBigEndian(Self.magic(dimensionCount: dimensions.count), to: &bytes)
        for size in dimensions { appendBigEndian(UInt32(size), to: &bytes) }
        bytes.append(contentsOf: data)
        return bytes
    }

    static func headerSize(dimensionCount: Int) -> Int { 4 + 4 * dimensionCount }
}

private func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

private func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value))
}
