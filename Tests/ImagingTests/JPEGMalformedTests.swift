@testable import Imaging
import Testing
import TestSupport

/// Damaged and hostile JPEGs: each is refused with an `ImageError` that says what is wrong,
/// and none crashes, exits or allocates what it declares (libjpeg's errors end inside the C
/// shim; its warnings about corrupt data are errors here).
struct JPEGMalformedTests {
    static func decode(_ bytes: [UInt8]) -> ImageError? {
        do {
            _ = try ImageDecoder.decode(bytes, format: .jpeg)
            return nil
        } catch let error as ImageError {
            return error
        } catch {
            Issue.record("not an ImageError: \(error)")
            return nil
        }
    }

    /// The offset of the first `marker` segment (FF marker) in `bytes`.
    static func offset(of marker: UInt8, in bytes: [UInt8]) -> Int? {
        (2..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == marker }
    }

    /// `bytes` with the frame header's height and width (SOF0, after length and precision)
    /// replaced.
    static func withDimensions(_ bytes: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var patched = bytes
        let sof = try #require(offset(of: 0xC0, in: bytes))
        patched[sof + 5] = UInt8(height >> 8); patched[sof + 6] = UInt8(height & 0xFF)
        patched[sof + 7] = UInt8(width >> 8); patched[sof + 8] = UInt8(width & 0xFF)
        return patched
    }

    /// Cut anywhere after the headers: "Premature end of JPEG file", 400, not a gray half-image.
    @Test(arguments: [0.3, 0.6, 0.9, 0.99])
    func truncated(fraction: Double) throws {
        let bytes = try PhotoFixtures.bytes(PhotoFixtures.names[0])
        let error = try #require(Self.decode(Array(bytes.prefix(Int(Double(bytes.count) * fraction)))))
        #expect(error.kind == .malformed)
        #expect(error.description.hasPrefix("JPEG: "), "\(error)")
    }

    /// A file cut inside its markers (before any scan) and one that is only SOI.
    @Test func truncatedHeaders() throws {
        let bytes = try JPEGFixtures.bytes("rgb-baseline.jpg")
        for length in [3, 4, 20, 100] {
            let error = try #require(Self.decode(Array(bytes.prefix(length))), "\(length) bytes")
            #expect(error.kind == .malformed, "\(length) bytes: \(error)")
        }
    }

    /// A Huffman table whose code counts claim more codes than the table holds
    /// ("Bogus Huffman table definition").
    @Test func corruptHuffmanTable() throws {
        var bytes = try JPEGFixtures.bytes("rgb-baseline.jpg")
        let dht = try #require(Self.offset(of: 0xC4, in: bytes))
        for i in 0..<16 { bytes[dht + 5 + i] = 0xFF }  // the 16 counts after length and class/id
        let error = try #require(Self.decode(bytes))
        #expect(error.kind == .malformed)
        #expect(error.description.contains("Huffman"), "\(error)")
    }

    /// Entropy-coded data overwritten with garbage: libjpeg would patch over it with a warning;
    /// here it is an error.
    @Test func corruptScanData() throws {
        var bytes = try PhotoFixtures.bytes(PhotoFixtures.names[0])
        let sos = try #require(Self.offset(of: 0xDA, in: bytes))
        for i in stride(from: sos + 400, to: min(sos + 2400, bytes.count - 2), by: 7) { bytes[i] = 0xFF }
        let error = try #require(Self.decode(bytes))
        #expect(error.kind == .malformed, "\(error)")
    }

    /// A restart marker out of sequence (RST1 where RST0 belongs).
    @Test func restartMarkerDamage() throws {
        var bytes = try JPEGFixtures.bytes("rgb-restart.jpg")
        _ = try JPEGDecoder.decode(bytes)  // intact, it decodes
        let rst0 = try #require(Self.offset(of: 0xD0, in: bytes))
        bytes[rst0 + 1] = 0xD5
        let error = try #require(Self.decode(bytes))
        #expect(error.kind == .malformed)
        #expect(error.description.contains("RST") || error.description.contains("marker"), "\(error)")
    }

    /// Absurd declared sizes are refused from the header with 413's kind, before any pixel
    /// buffer exists: 30000x30000 (900 MP), 65535x65535, and a progressive file beyond 25 MP.
    @Test func absurdDimensions() throws {
        let baseline = try JPEGFixtures.bytes("rgb-baseline.jpg")
        for (width, height) in [(30_000, 30_000), (65_535, 65_535), (20_000, 6_000)] {
            let error = try #require(Self.decode(try Self.withDimensions(baseline, width: width, height: height)))
            #expect(error.kind == .tooLarge, "\(width)x\(height): \(error)")
        }
        var progressive = try JPEGFixtures.bytes("rgb-progressive.jpg")
        let sof2 = try #require(Self.offset(of: 0xC2, in: progressive))
        progressive[sof2 + 1] = 0xC0  // reuse the SOF0 patcher, then put the marker back
        progressive = try Self.withDimensions(progressive, width: 6000, height: 6000)
        progressive[sof2 + 1] = 0xC2
        let error = try #require(Self.decode(progressive))
        #expect(error.kind == .tooLarge, "\(error)")
    }

    /// A 50 MP bomb (a few hundred bytes declaring 8660x5774) is decoded at 1/8, a 1083x722
    /// buffer, and fails on its missing data: never the 150 MB it declares.
    @Test func largeBaselineIsDecodedReduced() throws {
        let bomb = try Self.withDimensions(try JPEGFixtures.bytes("rgb-baseline.jpg"), width: 8660, height: 5774)
        #expect(JPEGDecoder.scaleDenominator(width: 8660, height: 5774) == 8)
        let error = try #require(Self.decode(bomb))
        #expect(error.kind == .malformed, "\(error)")
    }

    /// A zero height is the DNL form libjpeg does not read: malformed or unusable, not a crash.
    @Test func zeroHeight() throws {
        let error = try #require(Self.decode(try Self.withDimensions(try JPEGFixtures.bytes("gray-baseline.jpg"), width: 24, height: 0)))
        #expect(error.kind == .malformed || error.kind == .unusable, "\(error)")
    }

    /// EXIF blocks that lie: an APP1 length running past the end of the file, and IFD offsets
    /// and entry counts pointing outside the block. The orientation is dropped (nil), and the
    /// file either decodes or is refused by libjpeg, never read out of bounds.
    @Test func lyingExifLengths() throws {
        let file = try JPEGFixtures.bytes("orientation-6-big-endian.jpg")
        let app1 = try #require(Self.offset(of: 0xE1, in: file))
        #expect(ExifReader.jpegOrientation(file) == .rightTop)

        var longSegment = file
        longSegment[app1 + 2] = 0xFF; longSegment[app1 + 3] = 0xF0
        // The block itself is whole and read; libjpeg then finds the segment running past the end.
        #expect(ExifReader.jpegOrientation(longSegment) == .rightTop)
        #expect(Self.decode(longSegment)?.kind == .malformed)

        let tiff = app1 + 10  // FF E1, length, "Exif\0\0"
        var farIFD = file
        farIFD[tiff + 4] = 0x7F  // IFD0 offset 0x7F000008
        #expect(ExifReader.jpegOrientation(farIFD) == nil)
        #expect(try JPEGDecoder.decode(farIFD).width == 16, "decodes, stored raster as is")

        var manyEntries = file
        manyEntries[tiff + 8] = 0xFF; manyEntries[tiff + 9] = 0xFF  // 65535 entries in a 26-byte block
        manyEntries[tiff + 11] = 0x13  // and the one real entry's tag no longer Orientation
        #expect(ExifReader.jpegOrientation(manyEntries) == nil)

        var badValue = file
        badValue[tiff + 18] = 0; badValue[tiff + 19] = 9  // orientation 9 does not exist
        #expect(ExifReader.jpegOrientation(badValue) == nil)

        var shortSegment = file
        shortSegment[app1 + 2] = 0; shortSegment[app1 + 3] = 1  // length 1, less than its own 2 bytes
        #expect(ExifReader.jpegOrientation(shortSegment) == nil)
        #expect(Self.decode(shortSegment)?.kind == .malformed)
    }

    /// The TIFF reader on blocks cut at every length: nil or the right value, never a trap.
    @Test func exifCutAtEveryLength() throws {
        let file = try JPEGFixtures.bytes("orientation-6-big-endian.jpg")
        let tiff = Array(file[(try #require(Self.offset(of: 0xE1, in: file)) + 10)...])
        for length in 0..<40 {
            let value = ExifReader.orientation(tiff: tiff.prefix(length))
            #expect(value == nil || value == .rightTop)
        }
        #expect(ExifReader.orientation(tiff: tiff.prefix(26)) == .rightTop)
    }
}
