@testable import Imaging
import Testing
import TestSupport

/// JPEG through libjpeg-turbo: every colour model a camera or an editor writes, the choice of
/// DCT scale, and the EXIF orientation, against files a real encoder wrote.
struct JPEGDecoderTests {
    /// A baseline grayscale file decodes to one channel and the picture it holds.
    @Test func baselineGray() throws {
        let photo = try JPEGDecoder.decode(try JPEGFixtures.bytes("gray-baseline.jpg"))
        #expect(photo.channels == 1)
        let gray = photo.grayImage()
        let error = try #require(JPEGFixtures.uprightError((gray.width, gray.height, { gray[$0, $1] })))
        #expect(error < 0.06)
    }

    /// Baseline and progressive encodings of the same picture decode alike, in colour: the
    /// blue square stays blue (it is how the photo path tells a blue pen from paper).
    @Test func progressiveMatchesBaseline() throws {
        let baseline = try JPEGDecoder.decode(try JPEGFixtures.bytes("rgb-baseline.jpg"))
        let progressive = try JPEGDecoder.decode(try JPEGFixtures.bytes("rgb-progressive.jpg"))
        #expect(baseline.channels == 3 && progressive.channels == 3)
        #expect(baseline.width == 24 && progressive.width == 24 && baseline.height == 16)
        let largest = zip(baseline.samples, progressive.samples).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(largest <= 8, "progressive differs from baseline by \(largest)")
        let centre = (12 * 24 + 12) * 3
        let (red, green, blue) = (baseline.samples[centre], baseline.samples[centre + 1], baseline.samples[centre + 2])
        #expect(blue > 140 && red < 70 && green < 90, "blue square decoded as (\(red), \(green), \(blue))")
    }

    /// An Adobe CMYK file (stored inverted, as Photoshop and Pillow write it) comes out as the
    /// RGB picture it was made from.
    @Test func adobeCMYK() throws {
        let cmyk = try JPEGDecoder.decode(try JPEGFixtures.bytes("cmyk-adobe.jpg"))
        let rgb = try JPEGDecoder.decode(try JPEGFixtures.bytes("rgb-baseline.jpg"))
        #expect(cmyk.channels == 3 && cmyk.width == 24 && cmyk.height == 16)
        let gray = cmyk.grayImage(), reference = rgb.grayImage()
        let largest = zip(gray.pixels, reference.pixels).map { abs($0 - $1) }.max() ?? 1
        #expect(largest < 0.12, "CMYK luminance differs from the RGB original by \(largest)")
    }

    /// All eight EXIF orientations (TIFF little-endian, as Pillow writes) and a big-endian
    /// block (as many cameras write) turn their stored raster into the same upright picture.
    @Test(arguments: (1...8).map { "orientation-\($0).jpg" } + ["orientation-6-big-endian.jpg"])
    func exifOrientation(file: String) throws {
        let gray = try JPEGDecoder.decode(try JPEGFixtures.bytes(file)).grayImage()
        let error = try #require(JPEGFixtures.uprightError((gray.width, gray.height, { gray[$0, $1] })),
                                 "\(file) decoded as \(gray.width)x\(gray.height), not upright 24x16")
        #expect(error < 0.08, "\(file): \(error)")
    }

    /// A PNG's eXIf chunk is honoured the same way.
    @Test func pngExifOrientation() throws {
        guard case .luminance(let gray) = try ImageDecoder.decode(try JPEGFixtures.bytes("orientation-8.png"), format: nil) else {
            Issue.record("a PNG decodes to luminance")
            return
        }
        let error = try #require(JPEGFixtures.uprightError((gray.width, gray.height, { gray[$0, $1] })))
        #expect(error < 0.01, "lossless PNG: only the gray block's 128/255 differs from 0.5")
    }

    /// The DCT scale keeps the shorter side at 256 px or more: 12 MP decodes at 1/8, 3 MP at
    /// 1/4, 1 MP at 1/2, and anything with a shorter side under 512 px in full.
    @Test func scaleChoice() {
        #expect(JPEGDecoder.scaleDenominator(width: 4000, height: 3000) == 8)
        #expect(JPEGDecoder.scaleDenominator(width: 3000, height: 4000) == 8)
        #expect(JPEGDecoder.scaleDenominator(width: 2000, height: 1500) == 4)
        #expect(JPEGDecoder.scaleDenominator(width: 1152, height: 864) == 2)
        #expect(JPEGDecoder.scaleDenominator(width: 640, height: 480) == 1)
        #expect(JPEGDecoder.scaleDenominator(width: 8000, height: 2047) == 4)
    }

    /// A real photo-sized file is decoded reduced: 1024x768 comes out at 512x384, upright.
    @Test func decodesAtReducedScale() throws {
        let photo = try JPEGDecoder.decode(try PhotoFixtures.bytes("digit0-black-exif8-1024x768.jpg"))
        #expect(photo.channels == 3)
        #expect([photo.width, photo.height].sorted() == [384, 512])
    }

    /// `ImageDecoder` sniffs FF D8 FF whatever the declared format, and the media types name it.
    @Test func sniffedAndNamed() throws {
        let bytes = try JPEGFixtures.bytes("gray-baseline.jpg")
        #expect(ImageFormat.sniff(bytes) == .jpeg)
        for declared in [nil, ImageFormat.png, .raw784, .pgm] {
            guard case .photo = try ImageDecoder.decode(bytes, format: declared) else {
                Issue.record("declared \(String(describing: declared)): not decoded as a JPEG")
                continue
            }
        }
        #expect(ImageFormat(mediaType: "image/jpeg") == .jpeg)
        #expect(ImageFormat(mediaType: "IMAGE/JPG; q=1") == .jpeg)
    }
}
