import Zlib

/// Reads PNG files (ISO/IEC 15948, the W3C PNG spec): every color type and bit depth, Adam7,
/// all five filters, PLTE and tRNS, with CRCs checked on every chunk.
///
/// Ancillary chunks other than tRNS are skipped; an unknown critical chunk is refused, as the
/// spec requires. PLTE in a grayscale image and tRNS in an image with an alpha channel are
/// ignored (the spec forbids them; ignoring them loses nothing). The file must end with IEND,
/// so a file cut after its last IDAT is reported as truncated rather than silently accepted.
public enum PNGDecoder {
    /// - Throws: `ImageError`: `.malformed` for broken structure (bad signature, truncation,
    ///   bad CRC, bad zlib stream, wrong data size, bad filter byte); `.unsupported` for an
    ///   unknown critical chunk; `.unusable` for a zero dimension; `.tooLarge` for dimensions or
    ///   raster size beyond `limits` — checked from IHDR before any image data is inflated, and
    ///   the inflater is capped at the exact expected size, so a PNG bomb stops at that size.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default) throws -> PNGImage {
        let chunks = try readChunks(bytes, limits: limits)
        let header = chunks.header
        let expected = header.filteredSize
        let inflated: [UInt8]
        do {
            inflated = try Zlib.inflate(chunks.compressed, format: .zlib, limit: expected, expectedSize: expected)
        } catch let error as Zlib.Error {
            switch error {
            case .outputTooLarge:
                throw ImageError.malformed("PNG image data inflates past the \(expected) bytes a \(header.width)x\(header.height) image needs")
            case .truncated:
                throw ImageError.malformed("PNG image data (zlib stream) ends early")
            case .corrupt(let message):
                throw ImageError.malformed("PNG image data is not a valid zlib stream: \(message)")
            case .internalError:
                throw ImageError.malformed("PNG image data could not be inflated: \(error)")
            }
        }
        guard inflated.count == expected else {
            throw ImageError.malformed("PNG image data holds \(inflated.count) bytes, but a \(header.width)x\(header.height) image needs \(expected)")
        }
        let data = try header.interlaced
            ? deinterlace(inflated, header: header)
            : unfilterRows(inflated, from: 0, width: header.width, height: header.height, header: header)
        let image = PNGImage(width: header.width, height: header.height, colorType: header.colorType,
                             bitDepth: header.bitDepth, palette: chunks.palette, transparency: chunks.transparency,
                             data: data)
        if header.colorType == .palette, let palette = chunks.palette {
            try checkPaletteIndices(image, paletteCount: palette.count)
        }
        return image
    }

    /// The IHDR fields that matter after validation.
    struct Header {
        let width: Int
        let height: Int
        let bitDepth: Int
        let colorType: PNGColorType
        let interlaced: Bool

        var bitsPerPixel: Int { bitDepth * colorType.channels }
        /// Bytes per complete pixel for filtering, at least 1.
        var filterStride: Int { max(1, bitsPerPixel / 8) }

        func rowBytes(width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }

        /// The exact size the zlib stream must inflate to: each row of each pass plus its
        /// filter byte; empty passes contribute nothing.
        var filteredSize: Int {
            guard interlaced else { return height * (1 + rowBytes(width: width)) }
            return PNGInterlace.adam7.reduce(0) { total, pass in
                let passWidth = pass.width(of: width), passHeight = pass.height(of: height)
                return passWidth == 0 || passHeight == 0 ? total : total + passHeight * (1 + rowBytes(width: passWidth))
            }
        }
    }

    struct Chunks {
        var header: Header
        var palette: [PNGPaletteEntry]?
        var transparency: PNGTransparency?
        var compressed: [UInt8]
    }

    @inline(__always)
    static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Walks the chunk list from the signature to IEND, checking order, lengths and CRCs.
    static func readChunks(_ bytes: [UInt8], limits: DecodeLimits) throws -> Chunks {
        guard bytes.count >= 8, bytes[0..<8].elementsEqual(ImageFormat.pngSignature) else {
            throw ImageError.malformed("not a PNG file: the 8-byte PNG signature is missing")
        }
        var position = 8
        var header: Header?
        var palette: [PNGPaletteEntry]?
        var transparency: PNGTransparency?
        var compressed = [UInt8]()
        var sawIDAT = false
        var idatEnded = false
        while true {
            guard position + 8 <= bytes.count else {
                throw ImageError.malformed(position == bytes.count
                    ? "PNG ends without an IEND chunk (file truncated?)"
                    : "PNG is truncated inside a chunk header")
            }
            let length = Int(readUInt32(bytes, position))
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw ImageError.malformed("PNG chunk type at byte \(position + 4) is not four letters")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= Int(Int32.max) else {
                throw ImageError.malformed("PNG chunk \(type) declares a length of \(length) bytes, above the 2^31-1 the spec allows")
            }
            let dataStart = position + 8
            guard dataStart + length + 4 <= bytes.count else {
                throw ImageError.malformed("PNG chunk \(type) is truncated: it declares \(length) bytes but the file ends first")
            }
            let storedCRC = readUInt32(bytes, dataStart + length)
            guard Zlib.crc32(bytes[(position + 4)..<(dataStart + length)]) == storedCRC else {
                throw ImageError.malformed("PNG chunk \(type) has a bad CRC")
            }
            let data = bytes[dataStart..<(dataStart + length)]
            position = dataStart + length + 4

            if header == nil && type != "IHDR" {
                throw ImageError.malformed("PNG must start with an IHDR chunk, not \(type)")
            }
            if sawIDAT && type != "IDAT" { idatEnded = true }
            switch type {
            case "IHDR":
                guard header == nil else { throw ImageError.malformed("PNG has a second IHDR chunk") }
                header = try parseHeader(data, limits: limits)
            case "PLTE":
                guard !sawIDAT else { throw ImageError.malformed("PNG PLTE chunk comes after the image data") }
                guard palette == nil else { throw ImageError.malformed("PNG has a second PLTE chunk") }
                guard length % 3 == 0, (1...256).contains(length / 3) else {
                    throw ImageError.malformed("PNG PLTE chunk has \(length) bytes, not 3 per entry for 1...256 entries")
                }
                if header!.colorType == .palette && length / 3 > 1 << header!.bitDepth {
                    throw ImageError.malformed("PNG PLTE chunk has \(length / 3) entries, more than \(header!.bitDepth)-bit indices can address")
                }
                if header!.colorType != .gray && header!.colorType != .grayAlpha {
                    palette = stride(from: data.startIndex, to: data.endIndex, by: 3).map {
                        PNGPaletteEntry(red: bytes[$0], green: bytes[$0 + 1], blue: bytes[$0 + 2])
                    }
                }
            case "tRNS":
                guard !sawIDAT else { throw ImageError.malformed("PNG tRNS chunk comes after the image data") }
                transparency = try parseTransparency(data, header: header!, palette: palette)
            case "IDAT":
                guard !idatEnded else { throw ImageError.malformed("PNG IDAT chunks are not consecutive") }
                if header!.colorType == .palette && palette == nil {
                    throw ImageError.malformed("PNG palette image has no PLTE chunk before its image data")
                }
                sawIDAT = true
                compressed.append(contentsOf: data)
            case "IEND":
                guard sawIDAT else { throw ImageError.malformed("PNG has no IDAT chunk") }
                return Chunks(header: header!, palette: palette, transparency: transparency, compressed: compressed)
            default:
                // Bit 5 of the first type byte clear (uppercase) marks a critical chunk.
                if typeBytes.first! & 0x20 == 0 {
                    throw ImageError.unsupported("PNG has an unknown critical chunk \(type)")
                }
            }
        }
    }

    static func parseHeader(_ data: ArraySlice<UInt8>, limits: DecodeLimits) throws -> Header {
        guard data.count == 13 else { throw ImageError.malformed("PNG IHDR chunk has \(data.count) bytes, not 13") }
        let bytes = Array(data)
        let width = Int(readUInt32(bytes, 0)), height = Int(readUInt32(bytes, 4))
        let bitDepth = Int(bytes[8])
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageError.malformed("PNG IHDR dimensions \(width)x\(height) exceed 2^31-1")
        }
        guard let colorType = PNGColorType(rawValue: bytes[9]) else {
            throw ImageError.malformed("PNG color type \(bytes[9]) does not exist")
        }
        guard colorType.allowedBitDepths.contains(bitDepth) else {
            throw ImageError.malformed("PNG bit depth \(bitDepth) is not allowed for color type \(colorType.rawValue)")
        }
        guard bytes[10] == 0 else { throw ImageError.malformed("PNG compression method \(bytes[10]) is not 0 (deflate)") }
        guard bytes[11] == 0 else { throw ImageError.malformed("PNG filter method \(bytes[11]) is not 0") }
        guard bytes[12] <= 1 else { throw ImageError.malformed("PNG interlace method \(bytes[12]) is neither 0 nor 1 (Adam7)") }
        try limits.check(width: width, height: height)
        let header = Header(width: width, height: height, bitDepth: bitDepth, colorType: colorType, interlaced: bytes[12] == 1)
        try limits.check(rasterBytes: header.filteredSize)
        return header
    }

    static func parseTransparency(_ data: ArraySlice<UInt8>, header: Header, palette: [PNGPaletteEntry]?) throws -> PNGTransparency? {
        let bytes = Array(data)
        func sample(_ index: Int) -> UInt16 { UInt16(bytes[2 * index]) << 8 | UInt16(bytes[2 * index + 1]) }
        switch header.colorType {
        case .gray:
            guard bytes.count == 2 else { throw ImageError.malformed("PNG tRNS chunk for a gray image has \(bytes.count) bytes, not 2") }
            return .grayKey(sample(0))
        case .rgb:
            guard bytes.count == 6 else { throw ImageError.malformed("PNG tRNS chunk for an RGB image has \(bytes.count) bytes, not 6") }
            return .rgbKey(red: sample(0), green: sample(1), blue: sample(2))
        case .palette:
            guard let palette else { throw ImageError.malformed("PNG tRNS chunk comes before PLTE") }
            guard bytes.count <= palette.count else {
                throw ImageError.malformed("PNG tRNS chunk has \(bytes.count) alpha values for \(palette.count) palette entries")
            }
            return .paletteAlpha(bytes)
        case .grayAlpha, .rgba:
            return nil
        }
    }
}
