@testable import Imaging
import TestSupport

/// Test pictures drawn in code, so no binary fixtures are needed.
enum TestImages {
    /// Every (color type, bit depth) pair PNG allows.
    static var allPNGVariants: [(PNGColorType, Int)] {
        PNGColorType.allCases.flatMap { type in type.allowedBitDepths.map { (type, $0) } }
    }

    /// A width x height PNG image of the given kind with seeded random samples (palette images
    /// get a full random palette, and a tRNS chunk when `withTransparency`).
    static func randomPNG(_ colorType: PNGColorType, bitDepth: Int, width: Int, height: Int,
                          seed: UInt64, withTransparency: Bool = false) -> PNGImage {
        var generator = SplitMix64(seed: seed)
        let maximum = (1 << bitDepth) - 1
        let paletteCount = colorType == .palette ? min(256, 1 << bitDepth) : 0
        let sampleMaximum = colorType == .palette ? paletteCount - 1 : maximum
        let samples = (0..<(width * height * colorType.channels)).map { _ in
            UInt16(Int.random(in: 0...sampleMaximum, using: &generator))
        }
        let palette: [PNGPaletteEntry]? = colorType == .palette ? (0..<paletteCount).map { _ in
            PNGPaletteEntry(red: .random(in: 0...255, using: &generator), green: .random(in: 0...255, using: &generator),
                            blue: .random(in: 0...255, using: &generator))
        } : nil
        var transparency: PNGTransparency?
        if withTransparency {
            switch colorType {
            case .gray: transparency = .grayKey(samples[0])
            case .rgb: transparency = .rgbKey(red: samples[0], green: samples[1], blue: samples[2])
            case .palette: transparency = .paletteAlpha((0..<max(1, paletteCount / 2)).map { _ in .random(in: 0...255, using: &generator) })
            case .grayAlpha, .rgba: transparency = nil
            }
        }
        return PNGImage(width: width, height: height, colorType: colorType, bitDepth: bitDepth, samples: samples,
                        palette: palette, transparency: transparency)
    }

    /// Ink coverage (0...1) of a stroke digit drawn with anti-aliased thick line segments on a
    /// `width` x `height` canvas. Segments are in unit coordinates of the box `(left, top, size)`.
    static func strokeDigit(width: Int, height: Int, left: Double, top: Double, boxWidth: Double, boxHeight: Double,
                            thickness: Double, segments: [((Double, Double), (Double, Double))]) -> [Float] {
        var ink = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                var nearest = Double.infinity
                for (start, end) in segments {
                    let ax = left + start.0 * boxWidth, ay = top + start.1 * boxHeight
                    let bx = left + end.0 * boxWidth, by = top + end.1 * boxHeight
                    let dx = bx - ax, dy = by - ay
                    let length2 = dx * dx + dy * dy
                    let t = length2 == 0 ? 0 : max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / length2))
                    let ex = ax + t * dx - px, ey = ay + t * dy - py
                    nearest = min(nearest, (ex * ex + ey * ey).squareRoot())
                }
                ink[y * width + x] = Float(max(0, min(1, thickness / 2 + 0.5 - nearest)))
            }
        }
        return ink
    }

    /// A "7"-like stroke digit.
    static let sevenSegments: [((Double, Double), (Double, Double))] = [((0, 0), (1, 0)), ((1, 0), (0.35, 1))]
    /// A "4"-like stroke digit.
    static let fourSegments: [((Double, Double), (Double, Double))] = [((0.7, 0), (0, 0.65)), ((0, 0.65), (1, 0.65)), ((0.7, 0), (0.7, 1))]

    /// Luminance (dark ink on white paper) from ink coverage.
    static func darkOnLight(_ ink: [Float]) -> [Float] { ink.map { 1 - $0 } }

    /// The bounding box of pixels above `threshold` in a 28x28 (or any) field.
    static func inkBox(_ pixels: [Float], width: Int, threshold: Float = 0) -> (width: Int, height: Int)? {
        let height = pixels.count / width
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where pixels[y * width + x] > threshold {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        return maxX < 0 ? nil : (maxX - minX + 1, maxY - minY + 1)
    }

    /// The chunks of a PNG file: type, offset of the length field, data length.
    static func chunkOffsets(_ png: [UInt8]) -> [(type: String, start: Int, length: Int)] {
        var result: [(String, Int, Int)] = []
        var position = 8
        while position + 8 <= png.count {
            let length = Int(PNGDecoder.readUInt32(png, position))
            result.append((String(decoding: png[(position + 4)..<(position + 8)], as: UTF8.self), position, length))
            position += 12 + length
        }
        return result
    }

    /// A PNG file from a signature and the given chunks, each with a correct CRC.
    static func pngFile(_ chunks: [(String, [UInt8])]) -> [UInt8] {
        var file = ImageFormat.pngSignature
        for (type, data) in chunks { PNGEncoder.appendChunk(type, data, to: &file) }
        return file
    }

    /// IHDR chunk data.
    static func ihdr(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0) -> [UInt8] {
        var data = [UInt8]()
        PNGEncoder.appendUInt32(width, to: &data)
        PNGEncoder.appendUInt32(height, to: &data)
        return data + [bitDepth, colorType, 0, 0, interlace]
    }
}
