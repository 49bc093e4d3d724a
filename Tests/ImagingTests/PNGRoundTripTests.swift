import Testing
import TestSupport
import Zlib
@testable import Imaging

/// The decoder against files our encoder writes in every variant PNG allows, and against a file
/// another tool wrote.
@Suite struct PNGRoundTripTests {
    static let filters: [PNGEncoder.FilterStrategy] = PNGFilter.allCases.map { .fixed($0) } + [.adaptive]

    /// Every color type x bit depth x filter x interlace decodes to exactly the samples encoded,
    /// at sizes that leave some Adam7 passes empty (1x1, 3x2) and odd ones (13x11).
    @Test(arguments: TestImages.allPNGVariants.map { "\($0.0)-\($0.1)" })
    func everyVariantRoundTrips(_ name: String) throws {
        let (colorType, bitDepth) = TestImages.allPNGVariants.first { "\($0.0)-\($0.1)" == name }!
        for (width, height) in [(1, 1), (3, 2), (13, 11)] {
            for interlaced in [false, true] {
                for (index, filter) in Self.filters.enumerated() {
                    let image = TestImages.randomPNG(colorType, bitDepth: bitDepth, width: width, height: height,
                                                     seed: UInt64(width * 1000 + index), withTransparency: index % 2 == 1)
                    let file = try PNGEncoder.encode(image, filter: filter, interlaced: interlaced)
                    let decoded = try PNGDecoder.decode(file)
                    #expect(decoded == image, "\(name) \(width)x\(height) interlaced=\(interlaced) \(filter)")
                }
            }
        }
    }

    /// A fixed filter is really written on every row, so each filter's reconstruction is exercised.
    @Test(arguments: PNGFilter.allCases)
    func fixedFilterIsWrittenOnEveryRow(_ filter: PNGFilter) throws {
        let image = TestImages.randomPNG(.rgb, bitDepth: 8, width: 9, height: 7, seed: 3)
        let file = try PNGEncoder.encode(image, filter: .fixed(filter))
        let idat = TestImages.chunkOffsets(file).first { $0.type == "IDAT" }!
        let raw = try Zlib.inflate(Array(file[(idat.start + 8)..<(idat.start + 8 + idat.length)]), format: .zlib)
        let filterBytes = stride(from: 0, to: raw.count, by: 9 * 3 + 1).map { raw[$0] }
        #expect(filterBytes == [UInt8](repeating: filter.rawValue, count: 7))
    }

    /// CPython's python.png (palette + tRNS, written by another encoder) gives the RGB of
    /// python.ppm at every opaque pixel, BT.601 luma of it in gray, and white paper where fully
    /// transparent.
    @Test func knownPaletteFileMatchesItsPPM() throws {
        let png = try PNGDecoder.decode(KnownFiles.pythonPNG)
        #expect(png.width == 16 && png.height == 16 && png.colorType == .palette && png.bitDepth == 8)
        guard case .paletteAlpha(let alphas) = png.transparency, let palette = png.palette else {
            Issue.record("palette or tRNS missing")
            return
        }
        let ppm = Array(KnownFiles.pythonPPM.suffix(16 * 16 * 3))
        let gray = png.grayImage()
        var opaque = 0, transparent = 0
        for (pixel, index) in png.samples.enumerated() {
            let alpha = Int(index) < alphas.count ? alphas[Int(index)] : 255
            let entry = palette[Int(index)]
            if alpha == 255 {
                opaque += 1
                #expect([entry.red, entry.green, entry.blue] == Array(ppm[(3 * pixel)..<(3 * pixel + 3)]))
                let luma = GrayImage.luma(red: Float(ppm[3 * pixel]) / 255, green: Float(ppm[3 * pixel + 1]) / 255,
                                          blue: Float(ppm[3 * pixel + 2]) / 255)
                #expect(abs(gray.pixels[pixel] - luma) < 1e-5)
            } else if alpha == 0 {
                transparent += 1
                #expect(gray.pixels[pixel] == 1)
            }
        }
        #expect(opaque == 109 && transparent > 0)
    }

    /// PNGs written by five other encoders (every filter, Adam7 at 1 and 8 bits, 16-bit RGBA,
    /// 4-bit palette, many ancillary chunks) decode to the same rows as an independent Python
    /// reference decoder produced.
    @Test(arguments: KnownFiles.referencePNGs.map(\.name))
    func referenceFilesMatchIndependentDecoder(_ name: String) throws {
        let reference = KnownFiles.referencePNGs.first { $0.name == name }!
        let image = try PNGDecoder.decode(reference.file)
        #expect(image.width == reference.width && image.height == reference.height)
        #expect(image.bitDepth == reference.bitDepth && image.colorType == reference.colorType)
        #expect(image.data.count == reference.dataCount)
        #expect(Zlib.crc32(image.data) == reference.dataCRC)
        let gray = image.grayImage()
        #expect(gray.pixels.allSatisfy { (0...1).contains($0) })
        let reencoded = try PNGEncoder.encode(image, interlaced: !reference.interlaced)
        #expect(try PNGDecoder.decode(reencoded) == image)
    }

    /// Luminance conversion: depth scaling, BT.601 weights, alpha and tRNS onto white paper.
    @Test func grayConversionOfEachColorType() throws {
        func gray(_ image: PNGImage) throws -> [Float] {
            try PNGDecoder.decode(PNGEncoder.encode(image)).grayImage().pixels
        }
        let gray8 = PNGImage(width: 3, height: 1, colorType: .gray, bitDepth: 8, samples: [0, 51, 255])
        #expect(try gray(gray8) == [0, 0.2, 1])
        let gray16 = PNGImage(width: 2, height: 1, colorType: .gray, bitDepth: 16, samples: [65535, 32768])
        #expect(try gray(gray16) == [1, Float(32768) / 65535])
        let gray1 = PNGImage(width: 3, height: 1, colorType: .gray, bitDepth: 1, samples: [1, 0, 1])
        #expect(try gray(gray1) == [1, 0, 1])
        let gray4Keyed = PNGImage(width: 2, height: 1, colorType: .gray, bitDepth: 4, samples: [5, 3], transparency: .grayKey(5))
        #expect(try gray(gray4Keyed) == [1, 0.2])
        let rgb = PNGImage(width: 3, height: 1, colorType: .rgb, bitDepth: 8, samples: [255, 0, 0, 0, 255, 0, 0, 0, 255],
                           transparency: .rgbKey(red: 0, green: 0, blue: 255))
        #expect(try gray(rgb) == [0.299, 0.587, 1])
        let palette = PNGImage(width: 3, height: 1, colorType: .palette, bitDepth: 2, samples: [0, 1, 2],
                               palette: [PNGPaletteEntry(red: 0, green: 0, blue: 255), PNGPaletteEntry(red: 0, green: 0, blue: 0),
                                         PNGPaletteEntry(red: 255, green: 255, blue: 255)],
                               transparency: .paletteAlpha([255, 0]))
        #expect(try gray(palette).map { ($0 * 1000).rounded() } == [114, 1000, 1000])
        let grayAlpha = PNGImage(width: 2, height: 1, colorType: .grayAlpha, bitDepth: 8, samples: [0, 255, 0, 51])
        #expect(try gray(grayAlpha) == [0, 0.8])
        let rgba = PNGImage(width: 2, height: 1, colorType: .rgba, bitDepth: 16, samples: [0, 65535, 0, 65535, 0, 0, 0, 0])
        #expect(try gray(rgba) == [0.587, 1])
    }

    /// IDAT data may be split across chunks at any byte; ancillary chunks are skipped.
    @Test func splitIDATAndAncillaryChunks() throws {
        let image = TestImages.randomPNG(.grayAlpha, bitDepth: 16, width: 20, height: 9, seed: 9)
        let file = try PNGEncoder.encode(image)
        let idat = TestImages.chunkOffsets(file).first { $0.type == "IDAT" }!
        let compressed = Array(file[(idat.start + 8)..<(idat.start + 8 + idat.length)])
        let cut1 = compressed.count / 3, cut2 = 2 * compressed.count / 3
        let split = TestImages.pngFile([
            ("IHDR", TestImages.ihdr(width: 20, height: 9, bitDepth: 16, colorType: 4)),
            ("tEXt", Array("Comment\0drawn by a test".utf8)),
            ("IDAT", Array(compressed[..<cut1])), ("IDAT", Array(compressed[cut1..<cut2])),
            ("IDAT", []), ("IDAT", Array(compressed[cut2...])),
            ("zzZz", [1, 2, 3]), ("IEND", []),
        ])
        #expect(try PNGDecoder.decode(split) == image)
    }

    /// The service's 8-bit gray encoder writes what `ImageDecoder` reads back byte for byte.
    @Test func gray8EncoderRoundTrips() throws {
        let pixels = (0..<784).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let file = try PNGEncoder.encodeGray8(width: 28, height: 28, pixels: pixels)
        guard case .luminance(let gray) = try ImageDecoder.decode(file, format: .png) else {
            Issue.record("a PNG must decode to luminance")
            return
        }
        #expect(gray.pixels.map { UInt8(($0 * 255).rounded()) } == pixels)
    }
}
