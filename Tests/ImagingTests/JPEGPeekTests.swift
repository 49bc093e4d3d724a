@testable import Imaging
import Testing
import TestSupport

/// `ImageDecoder.peek` on JPEGs: the declared size from the frame header, the pixels counted
/// at the DCT scale `decode` uses (what the pixel caps and the inline decision count), an upper
/// bound of what decoding holds, and the same refusals as `decode`.
struct JPEGPeekTests {
    static let files: [[UInt8]] = PhotoFixtures.names.map { try! PhotoFixtures.bytes($0) }
        + ["gray-baseline.jpg", "rgb-baseline.jpg", "rgb-progressive.jpg", "cmyk-adobe.jpg", "rgb-restart.jpg",
           "orientation-6.jpg"].map { try! JPEGFixtures.bytes($0) }

    /// `bytes` with the size in its first frame header of kind `marker` (SOF0 C0, SOF2 C2)
    /// replaced.
    static func withDimensions(_ bytes: [UInt8], marker: UInt8, width: Int, height: Int) throws -> [UInt8] {
        var patched = bytes
        let sof = try #require(JPEGMalformedTests.offset(of: marker, in: bytes))
        patched[sof + 5] = UInt8(height >> 8); patched[sof + 6] = UInt8(height & 0xFF)
        patched[sof + 7] = UInt8(width >> 8); patched[sof + 8] = UInt8(width & 0xFF)
        return patched
    }

    /// For every fixture, the pixels `peek` counts are the pixels `decode` produces, and the
    /// bytes it reserves cover the decoded colour raster, its `GrayImage` and the photo path.
    @Test func peekCountsWhatDecodeProduces() throws {
        for bytes in Self.files {
            let header = try ImageDecoder.peek(bytes, format: nil)
            guard case .photo(let photo) = try ImageDecoder.decode(bytes, format: nil) else {
                Issue.record("not decoded as a photo"); continue
            }
            #expect(header.format == .jpeg)
            #expect(header.pixels == photo.width * photo.height)
            let denominator = JPEGDecoder.scaleDenominator(width: header.width, height: header.height)
            #expect(Set([photo.width, photo.height]) == Set([(header.width + denominator - 1) / denominator,
                                                                (header.height + denominator - 1) / denominator]))
            #expect(header.decodingBytes >= photo.samples.count + header.pixels * (1 + MNISTNormalizer.photoBytesPerPixel))
        }
    }

    /// A 12 MP photo's header: its declared 4000x3000, but 500x375 pixels counted (decoded at
    /// 1/8) and a few megabytes reserved, not the 36 MB of a full-size RGB raster.
    @Test func twelveMegapixelsCountAtOneEighth() throws {
        let bytes = try Self.withDimensions(PhotoFixtures.bytes(PhotoFixtures.names[0]), marker: 0xC0, width: 4000, height: 3000)
        let header = try ImageDecoder.peek(bytes, format: .jpeg)
        #expect(header.width == 4000 && header.height == 3000)
        #expect(header.pixels == 500 * 375)
        #expect(header.decodingBytes >= 500 * 375 * 3)
        #expect(header.decodingBytes < 16 << 20, "\(header.decodingBytes)")
    }

    /// A progressive file buffers every coefficient of its full size: the 4:4:4 fixture
    /// declaring 12 MP reserves at least its 2 bytes per sample, 3 samples per pixel, however
    /// small it decodes; declaring 20 MP it would need more than libjpeg may allocate and is
    /// refused from its header.
    @Test func progressiveReservesItsCoefficients() throws {
        let progressive = try JPEGFixtures.bytes("rgb-progressive.jpg")
        let header = try ImageDecoder.peek(Self.withDimensions(progressive, marker: 0xC2, width: 4000, height: 3000), format: .jpeg)
        #expect(header.pixels == 500 * 375)
        #expect(header.decodingBytes >= 4000 * 3000 * 3 * 2)
        #expect(header.decodingBytes <= JPEGDecoder.maximumLibraryMemory + (16 << 20))
        #expect(throws: ImageError.self) {
            try ImageDecoder.peek(Self.withDimensions(progressive, marker: 0xC2, width: 5000, height: 4000), format: .jpeg)
        }
    }

    /// Header damage, sizes beyond the megapixel caps and the decode limits: `peek` throws
    /// exactly the error `decode` throws.
    @Test func peekFailsLikeDecode() throws {
        let baseline = try JPEGFixtures.bytes("rgb-baseline.jpg")
        let photo = try PhotoFixtures.bytes(PhotoFixtures.names[3])
        var bogusHuffman = baseline
        let dht = try #require(JPEGMalformedTests.offset(of: 0xC4, in: baseline))
        for i in 0..<16 { bogusHuffman[dht + 5 + i] = 0xFF }
        let broken: [([UInt8], DecodeLimits)] = [
            (Array(baseline.prefix(3)), .default), (Array(baseline.prefix(20)), .default),
            (Array(baseline.prefix(100)), .default), (bogusHuffman, .default), ([0xFF, 0xD8], .default),
            (try Self.withDimensions(baseline, marker: 0xC0, width: 12_000, height: 9_000), .default),
            (try Self.withDimensions(baseline, marker: 0xC0, width: 0, height: 16), .default),
            (try Self.withDimensions(JPEGFixtures.bytes("rgb-progressive.jpg"), marker: 0xC2, width: 6000, height: 5000), .default),
            (try Self.withDimensions(JPEGFixtures.bytes("rgb-progressive.jpg"), marker: 0xC2, width: 5000, height: 4000), .default),
            (photo, DecodeLimits(maxWidth: 300)),
            (photo, DecodeLimits(maxPixels: 100_000)),
            (photo, DecodeLimits(maxDecompressedBytes: 300_000)),
        ]
        for (bytes, limits) in broken {
            var peekError: ImageError?, decodeError: ImageError?
            do { _ = try ImageDecoder.peek(bytes, format: .jpeg, limits: limits) } catch { peekError = error as? ImageError }
            do { _ = try ImageDecoder.decode(bytes, format: .jpeg, limits: limits) } catch { decodeError = error as? ImageError }
            #expect(peekError != nil && peekError == decodeError, "\(bytes.count) bytes: \(String(describing: peekError)) vs \(String(describing: decodeError))")
        }
    }
}
