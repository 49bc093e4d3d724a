import Testing
@testable import Imaging
import TestSupport

/// MNIST-style normalization: polarity, bounding box, 20x20 area-averaged scaling, centre of mass.
@Suite struct MNISTNormalizerTests {
    let normalizer = MNISTNormalizer()

    func normalize(_ pixels: [Float], width: Int, height: Int) throws -> [Float] {
        try normalizer.normalize(.luminance(GrayImage(width: width, height: height, pixels: pixels))).pixels
    }

    func centre(_ pixels: [Float]) -> (x: Float, y: Float) {
        MNISTNormalizer.centreOfMass(GrayImage(width: 28, height: 28, pixels: pixels))!
    }

    static let seven200 = TestImages.strokeDigit(width: 200, height: 200, left: 40, top: 30, boxWidth: 110, boxHeight: 140,
                                                 thickness: 14, segments: TestImages.sevenSegments)

    /// Dark ink on light paper and light ink on dark paper give the same 28x28 digit.
    @Test func polarityIsDetected() throws {
        let fromDarkOnLight = try normalize(TestImages.darkOnLight(Self.seven200), width: 200, height: 200)
        let fromLightOnDark = try normalize(Self.seven200, width: 200, height: 200)
        #expect(zip(fromDarkOnLight, fromLightOnDark).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(fromLightOnDark.max()! > 0.9 && fromLightOnDark.filter { $0 == 0 }.count > 400)
        let box = TestImages.inkBox(fromLightOnDark, width: 28)!
        #expect(box.height == 20 && box.width < 20)
    }

    /// Paper that is gray rather than white, with ink darker still, becomes 0 and the ink 1.
    @Test func backgroundIsSubtractedAndContrastStretched() throws {
        let gray = Self.seven200.map { 0.7 - 0.4 * $0 }
        let result = try normalize(gray, width: 200, height: 200)
        let reference = try normalize(Self.seven200, width: 200, height: 200)
        #expect(zip(result, reference).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(result.max()! > 0.99)
    }

    /// A small digit in a corner of a 300x200 canvas ends centred: centre of mass within 0.5 px
    /// of (14, 14).
    @Test func offCentreDigitEndsCentred() throws {
        let ink = TestImages.strokeDigit(width: 300, height: 200, left: 5, top: 120, boxWidth: 40, boxHeight: 60,
                                         thickness: 7, segments: TestImages.fourSegments)
        let result = try normalize(TestImages.darkOnLight(ink), width: 300, height: 200)
        let centre = centre(result)
        #expect(abs(centre.x - 14) <= 0.5 && abs(centre.y - 14) <= 0.5, "\(centre)")
        #expect(TestImages.inkBox(result, width: 28)!.height == 20)
    }

    /// A tall thin "1" keeps its aspect ratio: 20 rows tall, a few columns wide.
    @Test func aspectRatioIsKept() throws {
        let one = TestImages.strokeDigit(width: 200, height: 200, left: 100, top: 20, boxWidth: 0, boxHeight: 160,
                                         thickness: 12, segments: [((0, 0), (0, 1))])
        let result = try normalize(TestImages.darkOnLight(one), width: 200, height: 200)
        let box = TestImages.inkBox(result, width: 28)!
        #expect(box.height == 20)
        #expect(box.width <= 3, "width \(box.width)")
    }

    /// A digit smaller than 20 px is scaled up so its longer side is 20.
    @Test func smallDigitIsScaledUp() throws {
        let ink = TestImages.strokeDigit(width: 16, height: 16, left: 3, top: 2, boxWidth: 8, boxHeight: 12,
                                         thickness: 2, segments: TestImages.sevenSegments)
        let result = try normalize(TestImages.darkOnLight(ink), width: 16, height: 16)
        #expect(TestImages.inkBox(result, width: 28)!.height == 20)
        let centre = centre(result)
        #expect(abs(centre.x - 14) <= 0.5 && abs(centre.y - 14) <= 0.5)
    }

    /// Area averaging: a 4x reduction is exactly the mean of each 4x4 block.
    @Test func areaAveragingIsBlockMean() {
        var generator = SplitMix64(seed: 4)
        let image = GrayImage(width: 40, height: 32, pixels: (0..<(40 * 32)).map { _ in Float.random(in: 0...1, using: &generator) })
        let reduced = image.resampled(width: 10, height: 8)
        for y in 0..<8 {
            for x in 0..<10 {
                var sum: Float = 0
                for dy in 0..<4 { for dx in 0..<4 { sum += image[4 * x + dx, 4 * y + dy] } }
                #expect(abs(reduced[x, y] - sum / 16) < 1e-5)
            }
        }
    }

    /// A non-integer reduction preserves the mean (no energy lost or gained at footprint edges),
    /// and a one-pixel checkerboard averages to flat gray instead of aliasing.
    @Test func areaAveragingDoesNotAlias() {
        let checker = GrayImage(width: 70, height: 50, pixels: (0..<(70 * 50)).map { (i: Int) -> Float in Float((i % 70 + i / 70) % 2) })
        let reduced = checker.resampled(width: 20, height: 14)
        #expect(reduced.pixels.allSatisfy { abs($0 - 0.5) < 0.04 })
        let mean = reduced.pixels.reduce(0, +) / Float(reduced.pixels.count)
        #expect(abs(mean - 0.5) < 1e-3)
    }

    /// An image already in MNIST form (28x28, black background, digit centred) passes through
    /// `.auto` unchanged; raw 784 bytes pass through untouched.
    @Test func mnistStyleImagePassesThrough() throws {
        // An MNIST-style digit: our own normalization of the 200x200 seven, quantized to bytes.
        let ink = try normalize(Self.seven200, width: 200, height: 200).map { ($0 * 255).rounded() / 255 }
        #expect(try normalize(ink, width: 28, height: 28) == ink)
        let shifted = Array(ink.dropFirst(3 * 28)) + [Float](repeating: 0, count: 3 * 28)
        #expect(try normalize(shifted, width: 28, height: 28) != shifted, "3 px off-centre is normalized again")
        let raw = ink.map { UInt8(($0 * 255).rounded()) }
        let sample = try normalizer.normalize(.mnistReady(raw))
        #expect(sample.bytes == raw)
        #expect(sample.pixels == raw.map { Float($0) / 255 })
    }

    /// A 28x28 MNIST-polarity digit that is off-centre is re-centred, not passed through.
    @Test func offCentreMNISTSizedImageIsRecentred() throws {
        let ink = TestImages.strokeDigit(width: 28, height: 28, left: 1, top: 1, boxWidth: 12, boxHeight: 16,
                                         thickness: 2, segments: TestImages.fourSegments)
        let result = try normalize(ink, width: 28, height: 28)
        #expect(result != ink)
        let centre = centre(result)
        #expect(abs(centre.x - 14) <= 0.5 && abs(centre.y - 14) <= 0.5)
    }

    /// Blank images, whatever their paper, have no ink.
    @Test func blankImageHasNoInk() {
        var generator = SplitMix64(seed: 8)
        let noisy = (0..<(30 * 30)).map { _ in Float.random(in: 0.48...0.52, using: &generator) }
        for pixels in [[Float](repeating: 1, count: 900), [Float](repeating: 0, count: 900), noisy] {
            #expect(throws: ImageError.unusable("image has no ink")) { try normalize(pixels, width: 30, height: 30) }
        }
        #expect(throws: ImageError.unusable("image has no ink")) { try normalize([Float](repeating: 0, count: 784), width: 28, height: 28) }
    }

    /// `.off`: values as stored, bright = ink, and only 28x28 accepted.
    @Test func offMode() throws {
        let off = MNISTNormalizer(mode: .off)
        let pixels = (0..<784).map { Float($0 % 256) / 255 }
        #expect(try off.normalize(.luminance(GrayImage(width: 28, height: 28, pixels: pixels))).pixels == pixels)
        let raw = (0..<784).map { UInt8(truncatingIfNeeded: $0 * 3) }
        #expect(try off.normalize(.mnistReady(raw)).bytes == raw)
        #expect(throws: ImageError.unusable("normalize=off needs a 28x28 image, got 200x200")) {
            try off.normalize(.luminance(GrayImage(width: 200, height: 200, pixels: Self.seven200)))
        }
    }

    /// End to end: a black-on-white 200x200 PNG with an alpha channel (transparent paper, as a
    /// canvas exports it) normalizes like the same digit as light-on-dark gray.
    @Test func transparentCanvasPNG() throws {
        let alpha = Self.seven200.map { UInt16(($0 * 255).rounded()) }
        let samples = alpha.flatMap { [UInt16(0), $0] }
        let file = try PNGEncoder.encode(PNGImage(width: 200, height: 200, colorType: .grayAlpha, bitDepth: 8, samples: samples))
        let fromPNG = try normalizer.normalize(ImageDecoder.decode(file, format: nil)).pixels
        let reference = try normalize(alpha.map { Float($0) / 255 }, width: 200, height: 200)
        #expect(zip(fromPNG, reference).allSatisfy { abs($0 - $1) < 1e-4 })
    }
}
