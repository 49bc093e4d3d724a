import Testing
import TestSupport
@testable import Imaging

/// Format sniffing, media types and the single decoding entry point.
@Suite struct ImageDecoderTests {
    static let png = try! PNGEncoder.encodeGray8(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 250])
    static let pgm = PGMEncoder.encode(PGMImage(width: 3, height: 2, maxval: 255, samples: [0, 50, 100, 150, 200, 250]))

    func expectError(_ bytes: [UInt8], format: ImageFormat?, _ kind: ImageError.Kind, containing expected: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        expectImageError(kind, containing: expected, sourceLocation: sourceLocation) {
            _ = try ImageDecoder.decode(bytes, format: format)
        }
    }

    /// Magic numbers decide; 784 bytes without magic are raw; anything else is unknown.
    @Test func sniffing() {
        #expect(ImageFormat.sniff(Self.png) == .png)
        #expect(ImageFormat.sniff(Self.pgm) == .pgm)
        #expect(ImageFormat.sniff(Array("P2\n1 1 1 0".utf8)) == .pgm)
        #expect(ImageFormat.sniff(Array("P5#c\n1 1 1 ".utf8) + [0]) == .pgm)
        #expect(ImageFormat.sniff([UInt8](repeating: 0, count: 784)) == .raw784)
        #expect(ImageFormat.sniff([UInt8](repeating: 0, count: 783)) == nil)
        #expect(ImageFormat.sniff(Array("P6\n1 1 255\n".utf8)) == nil)
        #expect(ImageFormat.sniff(Array("P5x".utf8)) == nil)
        #expect(ImageFormat.sniff(Array(Self.png[..<7])) == nil)
        #expect(ImageFormat.sniff([]) == nil)
        // A 784-byte body that starts with PNG magic is a PNG, not raw pixels.
        #expect(ImageFormat.sniff(Self.png + [UInt8](repeating: 0, count: 784 - Self.png.count)) == .png)
    }

    /// Media types in any case, with parameters and spaces; unknown ones give nil.
    @Test func mediaTypes() {
        #expect(ImageFormat(mediaType: "image/png") == .png)
        #expect(ImageFormat(mediaType: "IMAGE/PNG; charset=binary") == .png)
        #expect(ImageFormat(mediaType: "image/x-portable-graymap") == .pgm)
        #expect(ImageFormat(mediaType: "image/x-pgm") == .pgm)
        #expect(ImageFormat(mediaType: " image/pgm ") == .pgm)
        #expect(ImageFormat(mediaType: "application/octet-stream") == .raw784)
        #expect(ImageFormat(mediaType: "image/jpeg") == .jpeg)
        #expect(ImageFormat(mediaType: "image/gif") == nil)
        #expect(ImageFormat(mediaType: "") == nil)
    }

    /// Each format through the one entry point, declared or sniffed, to the same luminance.
    @Test func decodesEachFormat() throws {
        let expected = DecodedImage.luminance(GrayImage(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 250].map { Float($0) / 255 }))
        for format in [nil, ImageFormat.png] { #expect(try ImageDecoder.decode(Self.png, format: format) == expected) }
        for format in [nil, ImageFormat.pgm] { #expect(try ImageDecoder.decode(Self.pgm, format: format) == expected) }
        let raw = (0..<784).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try ImageDecoder.decode(raw, format: .raw784) == .mnistReady(raw))
        #expect(try ImageDecoder.decode(raw, format: nil) == .mnistReady(raw))
    }

    /// Content magic beats a wrong label; raw bytes labelled raw stay raw even if they look like a header.
    @Test func magicBeatsLabel() throws {
        guard case .luminance = try ImageDecoder.decode(Self.png, format: .pgm) else { Issue.record("PNG labelled PGM"); return }
        guard case .luminance = try ImageDecoder.decode(Self.pgm, format: .raw784) else { Issue.record("PGM as octet-stream"); return }
        let rawStartingLikePGM = Array("P5 ".utf8) + [UInt8](repeating: 0, count: 781)
        #expect(try ImageDecoder.decode(rawStartingLikePGM, format: .raw784) == .mnistReady(rawStartingLikePGM))
    }

    /// Wrong sizes, empty bodies and unknown content each get their own kind and wording.
    @Test func errors() {
        expectError([UInt8](repeating: 0, count: 783), format: .raw784, .unusable, containing: "raw image must be 784 bytes (28x28), got 783")
        expectError([UInt8](repeating: 0, count: 785), format: .raw784, .unusable, containing: "got 785")
        expectError([], format: nil, .unusable, containing: "image is empty")
        expectError([], format: .png, .unusable, containing: "image is empty")
        expectError([1, 2, 3], format: nil, .unsupported, containing: "unrecognised image format")
        expectError(Array("GIF89a".utf8), format: .png, .malformed, containing: "not a PNG file")
        expectError(Array("GIF89a".utf8), format: .pgm, .malformed, containing: "not a PGM file")
        expectError(Array(Self.png.dropLast(3)), format: nil, .malformed, containing: "IEND")
    }
}
