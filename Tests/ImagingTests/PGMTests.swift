import Testing
@testable import Imaging
import TestSupport

/// PGM decoding (P5 8/16-bit, P2, comments, netpbm whitespace) and its errors.
@Suite struct PGMTests {
    func expectError(_ text: String, _ kind: ImageError.Kind, containing expected: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        expectError(Array(text.utf8), kind, containing: expected, sourceLocation: sourceLocation)
    }

    func expectError(_ bytes: [UInt8], _ kind: ImageError.Kind, containing expected: String,
                     limits: DecodeLimits = .default, sourceLocation: SourceLocation = #_sourceLocation) {
        expectImageError(kind, containing: expected, sourceLocation: sourceLocation) {
            _ = try PGMDecoder.decode(bytes, limits: limits)
        }
    }

    /// A PGM with seeded random samples in 0...maxval.
    static func randomImage(width: Int, height: Int, maxval: Int, seed: UInt64) -> PGMImage {
        var generator = SplitMix64(seed: seed)
        return PGMImage(width: width, height: height, maxval: maxval,
                        samples: (0..<(width * height)).map { _ in UInt16(Int.random(in: 0...maxval, using: &generator)) })
    }

    /// P5 and P2 at several maxvals (8-bit, 16-bit big-endian, odd ones) round-trip exactly,
    /// with and without a comment.
    @Test(arguments: [1, 15, 255, 256, 1023, 65535])
    func roundTrips(maxval: Int) throws {
        for plain in [false, true] {
            for comment in [nil, "made by a test"] {
                let image = Self.randomImage(width: 37, height: 5, maxval: maxval, seed: UInt64(maxval))
                let file = PGMEncoder.encode(image, plain: plain, comment: comment)
                #expect(try PGMDecoder.decode(file) == image)
            }
        }
    }

    /// 16-bit samples are big-endian, two bytes each.
    @Test func sixteenBitIsBigEndian() throws {
        let file = Array("P5 2 1 65535\n".utf8) + [0x01, 0x02, 0xFF, 0xFE]
        let image = try PGMDecoder.decode(file)
        #expect(image.samples == [0x0102, 0xFFFE])
        #expect(image.grayImage().pixels == [Float(0x0102) / 65535, Float(0xFFFE) / 65535])
    }

    /// Comments anywhere in the header, tabs, CRLF, vertical tab and form feed as separators;
    /// a comment right after maxval counts as the single whitespace before the raster.
    @Test func headerWhitespaceAndComments() throws {
        let header = "P5#c1\n 3\t#c2\r\n\u{0B}2\u{0C}#c3\n255#c4 \n"
        let image = try PGMDecoder.decode(Array(header.utf8) + [0, 128, 255, 1, 2, 3])
        #expect(image.width == 3 && image.height == 2 && image.samples == [0, 128, 255, 1, 2, 3])
        let plain = try PGMDecoder.decode(Array("P2\n# a plain one\n2 2\n# max\n9\n0 9 # comment in raster\n\n4\t5\n".utf8))
        #expect(plain.samples == [0, 9, 4, 5] && plain.maxval == 9)
        #expect(plain.grayImage().pixels == [0, 1, Float(4) / 9, Float(5) / 9])
    }

    /// The raster starts right after one whitespace byte, even when that byte is a space and
    /// the first samples are whitespace values (10 = LF, 32 = space).
    @Test func rasterStartsAfterExactlyOneWhitespace() throws {
        let image = try PGMDecoder.decode(Array("P5 2 2 255 ".utf8) + [10, 32, 13, 9])
        #expect(image.samples == [10, 32, 13, 9])
    }

    /// Trailing data after the raster (a second image in the stream) is ignored.
    @Test func trailingDataIgnored() throws {
        #expect(try PGMDecoder.decode(Array("P5 1 1 255\n".utf8) + [7] + Array("P5 1 1 255\n".utf8) + [8]).samples == [7])
    }

    /// CPython's python.pgm (written by another tool) matches Rec. 709 luma of its python.ppm.
    @Test func knownFileMatchesItsPPM() throws {
        let image = try PGMDecoder.decode(KnownFiles.pythonPGM)
        #expect(image.width == 16 && image.height == 16 && image.maxval == 255)
        let ppm = Array(KnownFiles.pythonPPM.suffix(16 * 16 * 3))
        for pixel in 0..<256 {
            let luma = 0.2126 * Double(ppm[3 * pixel]) + 0.7152 * Double(ppm[3 * pixel + 1]) + 0.0722 * Double(ppm[3 * pixel + 2])
            #expect(abs(Double(image.samples[pixel]) - luma) <= 1.5, "pixel \(pixel)")
        }
    }

    /// Every prefix of a P5 and a P2 file fails with a malformed error.
    @Test func truncatedAtEveryCutPoint() {
        let binary = PGMEncoder.encode(Self.randomImage(width: 7, height: 4, maxval: 300, seed: 5), comment: "x")
        let plain = PGMEncoder.encode(Self.randomImage(width: 7, height: 4, maxval: 99, seed: 6), plain: true)
        // A P2 file cut inside its last number still holds every sample, so cut before that number.
        var lastNumberStart = plain.count
        while PGMDecoder.isWhitespace(plain[lastNumberStart - 1]) { lastNumberStart -= 1 }
        while (0x30...0x39).contains(plain[lastNumberStart - 1]) { lastNumberStart -= 1 }
        for (file, cutPoints) in [(binary, 0..<binary.count), (plain, 0..<lastNumberStart)] {
            for length in cutPoints {
                #expect { try PGMDecoder.decode(Array(file[..<length])) } throws: { error in
                    (error as? ImageError)?.kind == .malformed
                }
            }
        }
    }

    /// The errors a user sees, word for word where it matters.
    @Test func errors() {
        expectError(Array("P5 28 28 255\n".utf8) + [UInt8](repeating: 0, count: 700), .malformed,
                    containing: "PGM raster ends after 700 of 784 samples")
        expectError(Array("P5 2 2 65535\n".utf8) + [0, 0, 0, 0, 0], .malformed, containing: "ends after 2 of 4 samples")
        expectError("P2 2 2 255 1 2 3", .malformed, containing: "PGM raster ends after 3 of 4 samples")
        expectError("P2 2 1 100 50 101", .malformed, containing: "PGM sample 101 at (1, 0) exceeds maxval 100")
        expectError(Array("P5 2 1 15\n".utf8) + [3, 16], .malformed, containing: "PGM sample 16 exceeds maxval 15")
        expectError("P2 2 1 100 50 x", .malformed, containing: "sample 2 of 2 is not a decimal number")
        expectError("P5 2 1 0\n\0\0", .malformed, containing: "maxval 0 is outside 1...65535")
        expectError("P5 2 1 65536\n\0\0", .malformed, containing: "maxval 65536 is outside")
        expectError("P5 0 0 255\n", .unusable, containing: "image is 0x0")
        expectError("P5 5 0 255\n", .unusable, containing: "image is 5x0")
        expectError("P5 30000 30000 255\n", .tooLarge, containing: "image is 30000x30000")
        expectError("P5 99999999999999999999999999 1 255\n", .tooLarge, containing: "larger than the limit")
        expectError(Array("P5 40 40 65535\n".utf8), .tooLarge, containing: "3200 bytes, more than the limit of 2000",
                    limits: DecodeLimits(maxDecompressedBytes: 2000))
        expectError(Array("P5 40 40 255\n".utf8), .tooLarge, containing: "40x40, more pixels than the limit of 1000",
                    limits: DecodeLimits(maxDecompressedBytes: 1000))
        expectError(Array("P5 99999999999999 99999999999999 255\n".utf8), .tooLarge, containing: "more pixels than the limit",
                    limits: DecodeLimits(maxWidth: .max, maxHeight: .max))
        expectError("P5 -1 2 255\n", .malformed, containing: "width is not a decimal number")
        expectError("P5 2x 2 255\n", .malformed, containing: "width is followed by an unexpected character")
        expectError("P5 2 2", .malformed, containing: "header ends before the maxval")
        expectError("P5 2 2 255", .malformed, containing: "ends after the maxval")
        expectError("P52 2 255\n", .malformed, containing: "must be followed by whitespace")
        expectError("P6 2 2 255\n", .malformed, containing: "must start with P5 or P2")
    }
}
