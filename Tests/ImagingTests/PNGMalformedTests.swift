import Testing
import TestSupport
import Zlib
@testable import Imaging

/// One named test per hostile or broken PNG, each asserting the error kind and what it says.
@Suite struct PNGMalformedTests {
    static let validFile: [UInt8] = try! PNGEncoder.encode(
        TestImages.randomPNG(.rgba, bitDepth: 8, width: 12, height: 10, seed: 1), interlaced: true)

    func expectError(_ bytes: [UInt8], _ kind: ImageError.Kind, containing text: String,
                     limits: DecodeLimits = .default, sourceLocation: SourceLocation = #_sourceLocation) {
        expectImageError(kind, containing: text, sourceLocation: sourceLocation) {
            _ = try PNGDecoder.decode(bytes, limits: limits)
        }
    }

    /// A zlib stream whose filtered rows are `rows` (each starting with its filter byte).
    func idat(_ rows: [[UInt8]]) throws -> [UInt8] { try Zlib.deflate(rows.flatMap { $0 }, format: .zlib) }

    /// Every prefix of a valid file is refused as malformed: IEND is required, so a file cut
    /// anywhere, even after its last IDAT, is reported instead of half-decoded.
    @Test func truncatedAtEveryCutPoint() {
        for length in 0..<Self.validFile.count {
            #expect { try PNGDecoder.decode(Array(Self.validFile[..<length])) } throws: { error in
                (error as? ImageError)?.kind == .malformed
            }
        }
        expectError(Array(Self.validFile.dropLast(12)), .malformed, containing: "ends without an IEND")
        expectError(Array(Self.validFile.dropLast(2)), .malformed, containing: "chunk IEND is truncated")
        expectError(Array(Self.validFile.dropLast(7)), .malformed, containing: "truncated inside a chunk header")
        expectError(Array(Self.validFile[..<5]), .malformed, containing: "signature")
    }

    /// A flipped bit inside IDAT is caught by the CRC before any inflating.
    @Test func badCRC() {
        var file = Self.validFile
        let idat = TestImages.chunkOffsets(file).first { $0.type == "IDAT" }!
        file[idat.start + 8 + idat.length / 2] ^= 0x10
        expectError(file, .malformed, containing: "PNG chunk IDAT has a bad CRC")
    }

    /// IDAT data that is not deflate at all, with a valid CRC.
    @Test func badZlibStream() {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 4, height: 4)),
                                       ("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x00, 0x13, 0x37]), ("IEND", [])])
        expectError(file, .malformed, containing: "not a valid zlib stream")
    }

    /// A zlib stream cut short (its end marker and Adler-32 missing).
    @Test func zlibStreamEndsEarly() throws {
        let stream = try idat((0..<8).map { _ in [0] + (0..<8).map { UInt8($0 * 30) } })
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 8, height: 8)),
                                       ("IDAT", Array(stream.dropLast(6))), ("IEND", [])])
        expectError(file, .malformed, containing: "ends early")
    }

    /// IHDR says 10 rows but the data holds 9.
    @Test func dataShorterThanIHDR() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 10, height: 10)),
                                       ("IDAT", try idat((0..<9).map { _ in [UInt8](repeating: 0, count: 11) })), ("IEND", [])])
        expectError(file, .malformed, containing: "holds 99 bytes, but a 10x10 image needs 110")
    }

    /// IHDR says 10 rows but the data holds 11.
    @Test func dataLongerThanIHDR() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 10, height: 10)),
                                       ("IDAT", try idat((0..<11).map { _ in [UInt8](repeating: 0, count: 11) })), ("IEND", [])])
        expectError(file, .malformed, containing: "inflates past the 110 bytes")
    }

    /// A 60-byte file declaring 30000x30000 is refused from its IHDR alone.
    @Test func hugeDimensions() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 30000, height: 30000)),
                                       ("IDAT", try idat([[0]])), ("IEND", [])])
        expectError(file, .tooLarge, containing: "image is 30000x30000, larger than the limit of 4096x4096")
        let wide = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 0x7FFF_FFFF, height: 1, bitDepth: 16, colorType: 6)),
                                       ("IDAT", try idat([[0]])), ("IEND", [])])
        expectError(wide, .tooLarge, containing: "larger than the limit")
    }

    /// Dimensions within the limits whose raster would still exceed the decompressed-size limit.
    @Test func rasterBeyondDecompressedLimit() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 4000, height: 4000, bitDepth: 16, colorType: 6)),
                                       ("IDAT", try idat([[0]])), ("IEND", [])])
        expectError(file, .tooLarge, containing: "more than the limit of 67108864")
        let small = try PNGEncoder.encode(TestImages.randomPNG(.gray, bitDepth: 8, width: 40, height: 40, seed: 2))
        expectError(small, .tooLarge, containing: "1640 bytes, more than the limit of 1620",
                    limits: DecodeLimits(maxDecompressedBytes: 1620))
        expectError(small, .tooLarge, containing: "more pixels than the limit of 1000",
                    limits: DecodeLimits(maxDecompressedBytes: 1000))
    }

    /// A PNG bomb: a 100x100 IHDR and a 10 KB IDAT that inflates to 10 MB. The inflater is
    /// capped at the 10,100 bytes the image needs and stops there.
    @Test func pngBombIsRefused() throws {
        let bomb = try Zlib.deflate([UInt8](repeating: 0, count: 10 << 20), format: .zlib, level: 9)
        #expect(bomb.count < 20_000)
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 100, height: 100)), ("IDAT", bomb), ("IEND", [])])
        expectError(file, .malformed, containing: "inflates past the 10100 bytes a 100x100 image needs")
    }

    /// An unknown critical chunk must stop a decoder (PNG spec 5.4); an unknown ancillary one not.
    @Test func unknownCriticalChunk() throws {
        let data = try idat([[0, 1]])
        expectError(TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1)), ("ABCD", [1]),
                                        ("IDAT", data), ("IEND", [])]),
                    .unsupported, containing: "unknown critical chunk ABCD")
        let ancillary = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1)), ("aBCD", [1]),
                                            ("IDAT", data), ("IEND", [])])
        #expect(try PNGDecoder.decode(ancillary).samples == [1])
    }

    /// A palette image needs PLTE before its data.
    @Test func paletteWithoutPLTE() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1, colorType: 3)),
                                       ("IDAT", try idat([[0, 0]])), ("IEND", [])])
        expectError(file, .malformed, containing: "palette image has no PLTE chunk")
    }

    /// An index past the palette's end.
    @Test func paletteIndexOutOfRange() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 2, height: 1, colorType: 3)),
                                       ("PLTE", [0, 0, 0, 255, 255, 255]),
                                       ("IDAT", try idat([[0, 1, 2]])), ("IEND", [])])
        expectError(file, .malformed, containing: "pixel (1, 0) uses palette index 2 but the palette has 2 entries")
    }

    /// Filter type 5 does not exist.
    @Test func badFilterByte() throws {
        let file = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 3, height: 2)),
                                       ("IDAT", try idat([[0, 1, 2, 3], [5, 1, 2, 3]])), ("IEND", [])])
        expectError(file, .malformed, containing: "row 1 has filter type 5")
    }

    /// IHDR fields outside the spec.
    @Test func invalidHeaders() throws {
        let data = try idat([[0, 0]])
        func file(_ ihdr: [UInt8]) -> [UInt8] { TestImages.pngFile([("IHDR", ihdr), ("IDAT", data), ("IEND", [])]) }
        expectError(file(TestImages.ihdr(width: 1, height: 1, bitDepth: 4, colorType: 2)), .malformed,
                    containing: "bit depth 4 is not allowed for color type 2")
        expectError(file(TestImages.ihdr(width: 1, height: 1, colorType: 5)), .malformed, containing: "color type 5")
        expectError(file(TestImages.ihdr(width: 1, height: 1, interlace: 2)), .malformed, containing: "interlace method 2")
        expectError(file(TestImages.ihdr(width: 0, height: 5)), .unusable, containing: "image is 0x5")
        expectError(file(TestImages.ihdr(width: 0, height: 0)), .unusable, containing: "image is 0x0")
        expectError(file(Array(TestImages.ihdr(width: 1, height: 1).dropLast())), .malformed, containing: "IHDR chunk has 12 bytes")
        expectError(TestImages.pngFile([("IDAT", data), ("IEND", [])]), .malformed, containing: "must start with an IHDR")
    }

    /// Chunk-order rules: IDAT chunks must be consecutive; IEND needs data before it.
    @Test func chunkOrder() throws {
        let data = try idat([[0, 0]])
        expectError(TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1)), ("IDAT", Array(data[..<3])),
                                        ("tEXt", Array("a\0b".utf8)), ("IDAT", Array(data[3...])), ("IEND", [])]),
                    .malformed, containing: "not consecutive")
        expectError(TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1)), ("IEND", [])]),
                    .malformed, containing: "no IDAT")
    }

    /// tRNS chunks of the wrong size for their color type.
    @Test func badTransparency() throws {
        let data = try idat([[0, 0, 0, 0]])
        expectError(TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1, colorType: 2)), ("tRNS", [0, 0]),
                                        ("IDAT", data), ("IEND", [])]),
                    .malformed, containing: "tRNS chunk for an RGB image has 2 bytes")
        expectError(TestImages.pngFile([("IHDR", TestImages.ihdr(width: 1, height: 1, colorType: 3)), ("PLTE", [0, 0, 0]),
                                        ("tRNS", [0, 0]), ("IDAT", try idat([[0, 0]])), ("IEND", [])]),
                    .malformed, containing: "2 alpha values for 1 palette entries")
    }

    /// A length field with the top bit set (over 2^31-1) is refused before anything is read.
    @Test func chunkLengthOverflow() {
        var file = ImageFormat.pngSignature
        file += [0xFF, 0xFF, 0xFF, 0xF0] + Array("IHDR".utf8) + [UInt8](repeating: 0, count: 30)
        expectError(file, .malformed, containing: "above the 2^31-1")
    }
}
