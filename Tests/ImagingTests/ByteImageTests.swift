import Testing
@testable import Imaging
import TestSupport
import Zlib

/// Images decoded to one byte per pixel (issue 11) normalize bit for bit as the `Float`
/// pipeline did (`ReferenceNormalizer`), whatever the file's color type, depth or interlace,
/// as long as the image has at most 256 distinct luminances; `ImageDecoder.peek` reads what a
/// header declares without decoding.
@Suite struct ByteImageTests {
    /// The ink of a stroke "4" on a 90x70 canvas, quantized to bytes (0 paper, 255 ink).
    static let ink: [UInt8] = TestImages.strokeDigit(width: 90, height: 70, left: 20, top: 8, boxWidth: 40, boxHeight: 52,
                                                    thickness: 6, segments: TestImages.fourSegments)
        .map { UInt8(($0 * 255).rounded()) }
    static let width = 90, height = 70

    /// One encoding of the digit and the luminances the `Float` pipeline decoded it to,
    /// computed here from the samples with the decoder's formulas.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let file: [UInt8]
        let luminance: [Float]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let paper = ink.map { 255 - $0 }
        func png(_ image: PNGImage, interlaced: Bool = false) -> [UInt8] { try! PNGEncoder.encode(image, interlaced: interlaced) }
        let gray8 = PNGImage(width: width, height: height, colorType: .gray, bitDepth: 8, samples: paper.map(UInt16.init))
        // What a browser canvas exports: black strokes, coverage in alpha, on transparent paper.
        let canvas = PNGImage(width: width, height: height, colorType: .rgba, bitDepth: 8,
                              samples: ink.flatMap { [0, 0, 0, UInt16($0)] })
        let grayAlpha16 = PNGImage(width: width, height: height, colorType: .grayAlpha, bitDepth: 16,
                                   samples: ink.flatMap { [UInt16(0), UInt16($0) * 257] })
        let blueInk = PNGImage(width: width, height: height, colorType: .rgb, bitDepth: 8,
                               samples: paper.flatMap { [UInt16($0), UInt16($0), 255] })
        let gray4 = PNGImage(width: width, height: height, colorType: .gray, bitDepth: 4, samples: paper.map { UInt16($0 >> 4) })
        let palette = PNGImage(width: width, height: height, colorType: .palette, bitDepth: 8, samples: paper.map(UInt16.init),
                               palette: (0..<256).map { PNGPaletteEntry(red: UInt8($0), green: UInt8($0), blue: UInt8(255 - $0 / 2)) })
        let luma = { (r: Float, g: Float, b: Float) in GrayImage.luma(red: r, green: g, blue: b) }
        return [
            Case(name: "8-bit gray PNG", file: png(gray8), luminance: paper.map { Float($0) / 255 }),
            Case(name: "8-bit gray PNG, Adam7", file: png(gray8, interlaced: true), luminance: paper.map { Float($0) / 255 }),
            Case(name: "RGBA canvas PNG", file: png(canvas),
                 luminance: ink.map { GrayImage.onWhitePaper(luma(0, 0, 0), alpha: Float($0) / 255) }),
            Case(name: "16-bit gray+alpha PNG", file: png(grayAlpha16),
                 luminance: ink.map { GrayImage.onWhitePaper(0, alpha: Float(UInt16($0) * 257) / 65535) }),
            Case(name: "RGB PNG, blue ink", file: png(blueInk),
                 luminance: paper.map { luma(Float($0) / 255, Float($0) / 255, 1) }),
            Case(name: "4-bit gray PNG", file: png(gray4), luminance: paper.map { Float($0 >> 4) / 15 }),
            Case(name: "palette PNG", file: png(palette),
                 luminance: paper.map { luma(Float($0) / 255, Float($0) / 255, Float(255 - $0 / 2) / 255) }),
            Case(name: "P5 maxval 255", file: PGMEncoder.encode(PGMImage(width: width, height: height, maxval: 255,
                                                                         samples: paper.map(UInt16.init))),
                 luminance: paper.map { Float($0) / 255 }),
            Case(name: "P2 maxval 15", file: PGMEncoder.encode(PGMImage(width: width, height: height, maxval: 15,
                                                                        samples: paper.map { UInt16($0 >> 4) }), plain: true),
                 luminance: paper.map { Float($0 >> 4) / 15 }),
            Case(name: "P5 maxval 1000", file: PGMEncoder.encode(PGMImage(width: width, height: height, maxval: 1000,
                                                                          samples: paper.map { UInt16($0) * 3 })),
                 luminance: paper.map { Float(UInt16($0) * 3) / 1000 }),
        ]
    }()

    @Test(arguments: cases)
    func normalizesBitForBitAsTheFloatPipeline(_ testCase: Case) throws {
        let decoded = try ImageDecoder.decode(testCase.file, format: nil)
        guard case .luminance(let gray) = decoded else { Issue.record("not a luminance image"); return }
        #expect(gray.pixels.map(\.bitPattern) == testCase.luminance.map(\.bitPattern), "decoded luminance")
        let sample = try MNISTNormalizer().normalize(decoded)
        let reference = try ReferenceNormalizer.normalize(.init(width: Self.width, height: Self.height, pixels: testCase.luminance))
        #expect(sample.pixels.map(\.bitPattern) == reference.map(\.bitPattern))
    }

    /// Only an image with more than 256 distinct luminances is rounded, each pixel to the
    /// nearest 1/255; one with 256 keeps them exact.
    @Test func moreThan256LevelsAreRoundedToBytes() {
        let smooth = (0..<1000).map { Float($0) / 999 }
        let rounded = GrayImage(width: 1000, height: 1, pixels: smooth)
        #expect(zip(rounded.pixels, smooth).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-7 })
        #expect(rounded.levels == (0..<256).map { Float($0) / 255 })
        let exact = (0..<256).map { Float($0) / 300 }
        #expect(GrayImage(width: 16, height: 16, pixels: exact).pixels == exact)
    }

    /// `peek` gives the declared size and format of each kind of file, and for the bomb of
    /// issue 11 (a small PNG declaring 4096x4096 1-bit pixels) what decoding it would hold:
    /// its 2 MB of scanlines inflated and unfiltered plus one byte per pixel.
    @Test func peekReadsDeclaredDimensions() throws {
        let png = try ImageDecoder.peek(Self.cases[0].file, format: nil)
        #expect(png.format == .png && png.width == 90 && png.height == 70)
        let pgm = try ImageDecoder.peek(Self.cases[7].file, format: .pgm)
        #expect(pgm.format == .pgm && pgm.width == 90 && pgm.height == 70)
        let raw = try ImageDecoder.peek([UInt8](repeating: 0, count: 784), format: .raw784)
        #expect(raw.format == .raw784 && raw.pixels == 784)

        let rows = 4096 * (1 + 4096 / 8)
        let bomb = TestImages.pngFile([("IHDR", TestImages.ihdr(width: 4096, height: 4096, bitDepth: 1)),
                                       ("IDAT", try Zlib.deflate([UInt8](repeating: 0, count: rows), level: 9)), ("IEND", [])])
        #expect(bomb.count < 4096)
        let header = try ImageDecoder.peek(bomb, format: nil)
        #expect(header.pixels == 4096 * 4096)
        #expect(header.decodingBytes >= rows + 4096 * 512 + 4096 * 4096)
        #expect(header.decodingBytes < 4096 * 4096 * 2, "one byte per pixel, not four")
    }

    /// Header errors from `peek` are exactly `decode`'s, so a refusal reads the same either way.
    @Test func peekFailsLikeDecode() {
        let broken: [([UInt8], ImageFormat?)] = [
            ([], nil), (Array("P5 0 10 255\n".utf8), nil), (Array("P5 5000 5000 255\n".utf8), nil),
            (Array(Self.cases[0].file.prefix(20)), .png), (Array(repeating: 7, count: 783), .raw784), ([1, 2, 3], nil),
            (TestImages.pngFile([("IHDR", TestImages.ihdr(width: 30_000, height: 30_000)), ("IEND", [])]), .png),
        ]
        for (bytes, format) in broken {
            var peekError: ImageError?, decodeError: ImageError?
            do { _ = try ImageDecoder.peek(bytes, format: format) } catch { peekError = error as? ImageError }
            do { _ = try ImageDecoder.decode(bytes, format: format) } catch { decodeError = error as? ImageError }
            #expect(peekError != nil && peekError == decodeError, "\(bytes.prefix(16))")
        }
    }
}
