#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import MNISTData
import Platform
import TestSupport
import Zlib

/// A small images file: 3 images of 2x4 with distinct pixels.
private let sampleImages = IDXFile(dimensions: [3, 2, 4], data: (0..<24).map { UInt8($0 * 10) })

/// The header of an images file with the given dimensions and magic, without any payload.
private func header(magic: [UInt8] = [0, 0, 0x08, 0x03], dimensions: [UInt32]) -> [UInt8] {
    var bytes = magic
    for size in dimensions {
        bytes += [UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)]
    }
    return bytes
}

/// Decodes `bytes` as an images file named `name` and returns the error it throws.
private func decodeError(_ bytes: [UInt8], dimensionCount: Int = 3, name: String = "images.idx3") -> MNISTDataError? {
    do {
        _ = try IDXFile.decode(bytes, path: name, dimensionCount: dimensionCount)
        return nil
    } catch {
        return error as? MNISTDataError
    }
}

@Suite struct IDXFileTests {
    /// The encoder writes the documented layout: magic 0x00000803, then big-endian sizes.
    @Test func encodesBigEndianHeader() {
        let bytes = sampleImages.encoded()
        #expect(Array(bytes[0..<16]) == [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4])
        #expect(bytes.count == 16 + 24)
    }

    /// A plain file written to disk reads back unchanged.
    @Test func roundTripsPlainFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(sampleImages.encoded(), to: "images-idx3-ubyte")
        #expect(try IDXFile.read(path: path, dimensionCount: 3) == sampleImages)
    }

    /// A gzipped file is recognised by its magic, whatever its name, and reads back unchanged.
    @Test func roundTripsGzippedFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let labels = IDXFile(dimensions: [5], data: [7, 2, 1, 0, 4])
        let compressed = try Zlib.deflate(labels.encoded(), format: .gzip)
        let gzPath = try directory.write(compressed, to: "labels-idx1-ubyte.gz")
        let misnamed = try directory.write(compressed, to: "labels-idx1-ubyte")
        #expect(try IDXFile.read(path: gzPath, dimensionCount: 1) == labels)
        #expect(try IDXFile.read(path: misnamed, dimensionCount: 1) == labels)
    }

    /// A labels file handed over where images are expected: the magic names the mix-up.
    @Test func rejectsWrongMagic() {
        let labels = IDXFile(dimensions: [2], data: [1, 2]).encoded()
        let error = decodeError(labels, name: "t10k-images-idx3-ubyte.gz")
        #expect(error == .wrongMagic(path: "t10k-images-idx3-ubyte.gz", expected: 0x0803, found: 0x0801))
        #expect(error?.description == "t10k-images-idx3-ubyte.gz: expected magic 0x00000803, found 0x00000801")
    }

    /// Not an IDX file at all (nonzero leading bytes, e.g. a PNG).
    @Test func rejectsForeignFile() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 40)
        #expect(decodeError(png) == .wrongMagic(path: "images.idx3", expected: 0x0803, found: 0x8950_4E47))
    }

    /// IDX type 0x0D (float) is valid IDX but not MNIST; it is named as a type problem.
    @Test func rejectsWrongDataType() {
        let bytes = header(magic: [0, 0, 0x0D, 0x03], dimensions: [1, 1, 1]) + [0, 0, 0, 0]
        #expect(decodeError(bytes) == .unsupportedDataType(path: "images.idx3", code: 0x0D))
    }

    /// A file cut inside the header (or empty).
    @Test(arguments: [0, 3, 4, 11, 15])
    func rejectsTruncatedHeader(length: Int) {
        let bytes = Array(sampleImages.encoded().prefix(length))
        let expected: MNISTDataError = .headerTruncated(path: "images.idx3", size: length, needed: 16)
        #expect(decodeError(bytes) == expected)
    }

    /// A download cut short in the payload.
    @Test func rejectsTruncatedPayload() {
        let bytes = Array(sampleImages.encoded().dropLast(5))
        #expect(decodeError(bytes) == .payloadTruncated(path: "images.idx3", expected: 24, found: 19))
    }

    /// Extra bytes after the payload mean the dimensions are wrong; refuse rather than guess.
    @Test func rejectsTrailingBytes() {
        let bytes = sampleImages.encoded() + [0, 0]
        #expect(decodeError(bytes) == .trailingBytes(path: "images.idx3", expected: 24, found: 26))
    }

    /// Dimensions whose product overflows or is absurd are refused before any allocation.
    @Test(arguments: [[UInt32.max, UInt32.max, UInt32.max], [60_000, 28_000, 28_000], [0, UInt32.max, UInt32.max]])
    func rejectsHugeDimensions(dimensions: [UInt32]) {
        let bytes = header(dimensions: dimensions) + [1, 2, 3]
        #expect(decodeError(bytes) == .dimensionsTooLarge(path: "images.idx3", dimensions: dimensions.map(Int.init),
                                                          limit: IDXFile.defaultMaximumElements))
    }

    /// A gzip file that is cut short is a decompression error naming the file.
    @Test func rejectsTruncatedGzip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let compressed = try Zlib.deflate(sampleImages.encoded(), format: .gzip)
        let path = try directory.write(Array(compressed.dropLast(12)), to: "images.gz")
        #expect(throws: MNISTDataError.decompressionFailed(path: path, reason: Zlib.Error.truncated.description)) {
            try IDXFile.read(path: path, dimensionCount: 3)
        }
    }

    /// A missing file is a read error with the errno text.
    @Test func reportsMissingFile() {
        #expect(throws: MNISTDataError.readFailed(path: "/nonexistent/x-idx3-ubyte", reason: "No such file or directory")) {
            try IDXFile.read(path: "/nonexistent/x-idx3-ubyte", dimensionCount: 3)
        }
    }

    /// A file larger than its header plus the element cap is refused from its size, before
    /// any of it is read (the injected file system fails every read).
    @Test func refusesOversizedFileBeforeReading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(sampleImages.encoded(), to: "images-idx3-ubyte")
        var noReads = FileSystem.posix
        noReads.read = { _, _ in errno = EIO; return -1 }
        #expect(throws: MNISTDataError.fileTooLarge(path: path, size: 40, limit: 16 + 23)) {
            try IDXFile.read(path: path, dimensionCount: 3, maximumElements: 23, fileSystem: noReads)
        }
        #expect(throws: MNISTDataError.readFailed(path: path, reason: "Input/output error")) {
            try IDXFile.read(path: path, dimensionCount: 3, maximumElements: 24, fileSystem: noReads)
        }
        #expect(try IDXFile.read(path: path, dimensionCount: 3, maximumElements: 24) == sampleImages)
    }

    /// Every prefix of a valid file is rejected with an error, never a crash or a result.
    @Test func everyPrefixIsAnError() {
        let bytes = sampleImages.encoded()
        for length in 0..<bytes.count {
            #expect(decodeError(Array(bytes.prefix(length))) != nil, "prefix \(length)")
        }
    }
}
