/// The EXIF `Orientation` tag (0x0112, TIFF 6.0 / Exif 2.32 §4.6.4): how the stored raster must
/// be turned to stand the way the camera was held. Phones store the sensor's raster as read and
/// record the turn here, so a portrait photo of a digit is a landscape raster with value 6.
///
/// Each case names where the stored raster's first row and first column end up:
/// `.rightTop` (6) means row 0 is the right side of the picture and column 0 its top, so the
/// stored image is turned 90° clockwise to be seen upright.
public enum ExifOrientation: Int, Equatable, Sendable, CaseIterable {
    case topLeft = 1
    case topRight = 2
    case bottomRight = 3
    case bottomLeft = 4
    case leftTop = 5
    case rightTop = 6
    case rightBottom = 7
    case leftBottom = 8

    /// Whether the upright picture swaps the stored width and height (values 5 to 8).
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The stored pixel shown at column `x`, row `y` of the upright picture, for a stored raster
    /// of `width` x `height`.
    @inline(__always)
    func storedPosition(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .topLeft: return (x, y)
        case .topRight: return (width - 1 - x, y)
        case .bottomRight: return (width - 1 - x, height - 1 - y)
        case .bottomLeft: return (x, height - 1 - y)
        case .leftTop: return (y, x)
        case .rightTop: return (y, height - 1 - x)
        case .rightBottom: return (width - 1 - y, height - 1 - x)
        case .leftBottom: return (width - 1 - y, x)
        }
    }

    /// `samples` (rows of `width` pixels of `channels` interleaved values) turned upright.
    /// Returns the new width and height with the samples.
    func apply<Sample>(to samples: [Sample], width: Int, height: Int, channels: Int)
        -> (width: Int, height: Int, samples: [Sample]) {
        if self == .topLeft { return (width, height, samples) }
        let (newWidth, newHeight) = swapsAxes ? (height, width) : (width, height)
        var result = samples
        result.withUnsafeMutableBufferPointer { result in
            samples.withUnsafeBufferPointer { source in
                for y in 0..<newHeight {
                    for x in 0..<newWidth {
                        let stored = storedPosition(x: x, y: y, width: width, height: height)
                        let from = (stored.y * width + stored.x) * channels
                        let to = (y * newWidth + x) * channels
                        for channel in 0..<channels { result[to + channel] = source[from + channel] }
                    }
                }
            }
        }
        return (newWidth, newHeight, result)
    }
}

/// Reads the orientation out of an EXIF block: a TIFF header and IFD0 (Exif 2.32 §4.5), as
/// found after "Exif\0\0" in a JPEG's APP1 segment and as the whole of a PNG `eXIf` chunk.
///
/// Every offset and count is checked against the block's own length, so a block that lies
/// about its size or points outside itself yields nil (no orientation), never a crash: EXIF is
/// metadata, and a damaged one should not cost the user their picture.
enum ExifReader {
    static let orientationTag: UInt16 = 0x0112

    /// The orientation recorded in `tiff`, or nil when there is none or the block is damaged.
    static func orientation<Bytes: RandomAccessCollection>(tiff: Bytes) -> ExifOrientation?
        where Bytes.Element == UInt8, Bytes.Index == Int {
        let base = tiff.startIndex
        let count = tiff.count
        guard count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[base], tiff[base + 1]) {
        case (0x49, 0x49): littleEndian = true   // "II"
        case (0x4D, 0x4D): littleEndian = false  // "MM"
        default: return nil
        }
        func u16(_ offset: Int) -> UInt16? {
            guard offset >= 0, offset + 2 <= count else { return nil }
            let a = UInt16(tiff[base + offset]), b = UInt16(tiff[base + offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ offset: Int) -> UInt32? {
            guard let low = u16(littleEndian ? offset : offset + 2),
                  let high = u16(littleEndian ? offset + 2 : offset) else { return nil }
            return UInt32(high) << 16 | UInt32(low)
        }
        guard u16(2) == 42, let ifdOffset = u32(4).map(Int.init), let entries = u16(ifdOffset).map(Int.init) else {
            return nil
        }
        for entry in 0..<entries {
            let position = ifdOffset + 2 + 12 * entry
            guard let tag = u16(position) else { return nil }
            guard tag == orientationTag else { continue }
            // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
            guard u16(position + 2) == 3, u32(position + 4) == 1, let value = u16(position + 8) else { return nil }
            return ExifOrientation(rawValue: Int(value))
        }
        return nil
    }

    /// The orientation in a JPEG's first APP1 "Exif" segment, walking the marker segments
    /// before the first scan; nil when there is none or the segments are damaged (libjpeg then
    /// reports the damage itself).
    static func jpegOrientation(_ bytes: [UInt8]) -> ExifOrientation? {
        var position = 2  // after SOI
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return nil }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }  // fill byte (T.81 B.1.1.2)
            if marker == 0xDA || marker == 0xD9 { return nil }  // SOS or EOI: no more headers
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { position += 2; continue }  // no length
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            guard length >= 2 else { return nil }
            let end = min(position + 2 + length, bytes.count)
            let payload = (position + 4)..<end
            if marker == 0xE1, payload.count >= 14,
               bytes[payload.lowerBound..<(payload.lowerBound + 6)].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                return orientation(tiff: bytes[(payload.lowerBound + 6)..<payload.upperBound])
            }
            position += 2 + length
        }
        return nil
    }

    /// The orientation in a PNG's `eXIf` chunk (PNG 1.5 extensions; the chunk is the bare TIFF
    /// block). Called after `PNGDecoder` has checked every chunk's length and CRC, so this walk
    /// only needs to stop at the end of the bytes.
    static func pngOrientation(_ bytes: [UInt8]) -> ExifOrientation? {
        var position = 8
        while position + 12 <= bytes.count {
            let length = Int(PNGDecoder.readUInt32(bytes, position))
            let type = bytes[(position + 4)..<(position + 8)]
            guard length <= bytes.count - position - 12 else { return nil }
            if type.elementsEqual("eXIf".utf8) {
                return orientation(tiff: bytes[(position + 8)..<(position + 8 + length)])
            }
            if type.elementsEqual("IDAT".utf8) || type.elementsEqual("IEND".utf8) {
                // eXIf must come before IDAT (PNG extensions 1.5.0, 3.7).
                return nil
            }
            position += 12 + length
        }
        return nil
    }
}
