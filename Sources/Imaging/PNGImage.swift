/// The color types of PNG (spec 11.2.2), with the bit depths each allows.
public enum PNGColorType: UInt8, Equatable, Sendable, CaseIterable {
    case gray = 0
    case rgb = 2
    case palette = 3
    case grayAlpha = 4
    case rgba = 6

    /// Samples per pixel.
    public var channels: Int {
        switch self {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    /// The bit depths the PNG spec allows for this color type.
    public var allowedBitDepths: [Int] {
        switch self {
        case .gray: return [1, 2, 4, 8, 16]
        case .palette: return [1, 2, 4, 8]
        case .rgb, .grayAlpha, .rgba: return [8, 16]
        }
    }
}

/// One PLTE entry.
public struct PNGPaletteEntry: Equatable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// A tRNS chunk, by the color type it belongs to.
public enum PNGTransparency: Equatable, Sendable {
    /// Gray images: pixels with exactly this sample value are fully transparent.
    case grayKey(UInt16)
    /// RGB images: pixels with exactly these samples are fully transparent.
    case rgbKey(red: UInt16, green: UInt16, blue: UInt16)
    /// Palette images: alpha of the first entries; entries past the end are opaque.
    case paletteAlpha([UInt8])
}

/// A PNG raster as stored, before any color conversion: what the decoder produces and the
/// encoder consumes, so that tests can compare exact samples of every color type and depth.
///
/// `data` holds `height` rows of `rowBytes` bytes in PNG's non-interlaced layout without filter
/// bytes: samples packed most significant bits first, 16-bit samples big-endian, rows padded
/// to whole bytes.
public struct PNGImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let colorType: PNGColorType
    public let bitDepth: Int
    /// Required for `.palette`; optional (a suggestion for viewers, ignored here) for RGB types.
    public let palette: [PNGPaletteEntry]?
    public let transparency: PNGTransparency?
    /// Packed rows, `height * rowBytes` bytes.
    public let data: [UInt8]

    /// Bytes per packed row.
    public var rowBytes: Int { Self.rowBytes(width: width, colorType: colorType, bitDepth: bitDepth) }

    /// Bytes per packed row of an image `width` pixels wide (an interlaced pass's row, too).
    public static func rowBytes(width: Int, colorType: PNGColorType, bitDepth: Int) -> Int {
        (width * colorType.channels * bitDepth + 7) / 8
    }

    init(width: Int, height: Int, colorType: PNGColorType, bitDepth: Int, palette: [PNGPaletteEntry]?,
         transparency: PNGTransparency?, data: [UInt8]) {
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.palette = palette
        self.transparency = transparency
        self.data = data
    }

    /// Builds an image from samples, `channels` per pixel interleaved (palette images: indices).
    ///
    /// - Precondition: the bit depth is allowed for the color type, every sample fits in it,
    ///   there are `width * height * channels` samples, a palette image has a palette of at
    ///   most 2^bitDepth entries, and the transparency (if any) is the kind for the color type.
    public init(width: Int, height: Int, colorType: PNGColorType, bitDepth: Int, samples: [UInt16],
                palette: [PNGPaletteEntry]? = nil, transparency: PNGTransparency? = nil) {
        precondition(colorType.allowedBitDepths.contains(bitDepth), "bit depth not allowed for this color type")
        let channels = colorType.channels
        precondition(width > 0 && height > 0 && samples.count == width * height * channels,
                     "PNG needs width*height*channels samples")
        let maximum = UInt16((1 << bitDepth) - 1)
        precondition(samples.allSatisfy { $0 <= maximum }, "sample exceeds the bit depth")
        precondition(colorType != .palette || (palette.map { (1...(1 << bitDepth)).contains($0.count) } ?? false),
                     "a palette image needs a palette of 1...2^bitDepth entries")
        switch (colorType, transparency) {
        case (_, nil), (.gray, .grayKey?), (.rgb, .rgbKey?), (.palette, .paletteAlpha?): break
        default: preconditionFailure("transparency of the wrong kind for the color type")
        }
        let rowBytes = Self.rowBytes(width: width, colorType: colorType, bitDepth: bitDepth)
        var data = [UInt8](repeating: 0, count: rowBytes * height)
        let perRow = width * channels
        data.withUnsafeMutableBufferPointer { data in
            for y in 0..<height {
                for i in 0..<perRow {
                    PackedSamples.set(samples[y * perRow + i], data.baseAddress! + y * rowBytes, i, bitDepth: bitDepth)
                }
            }
        }
        self.init(width: width, height: height, colorType: colorType, bitDepth: bitDepth, palette: palette,
                  transparency: transparency, data: data)
    }

    /// The samples, `channels` per pixel interleaved, row-major (palette images: indices).
    public var samples: [UInt16] {
        let perRow = width * colorType.channels
        var result = [UInt16]()
        result.reserveCapacity(perRow * height)
        let rowBytes = self.rowBytes
        data.withUnsafeBufferPointer { data in
            for y in 0..<height {
                for i in 0..<perRow {
                    result.append(PackedSamples.get(data.baseAddress! + y * rowBytes, i, bitDepth: bitDepth))
                }
            }
        }
        return result
    }
}
