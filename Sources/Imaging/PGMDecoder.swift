/// Reads netpbm graymaps: P5 (binary, 8- or 16-bit big-endian samples) and P2 (plain ASCII).
///
/// Header rules follow netpbm's pgm(5): magic, then width, height and maxval as ASCII decimals
/// separated by whitespace (space, TAB, CR, LF, VT, FF); a `#` starts a comment that runs to
/// the end of the line, anywhere in the header; exactly one whitespace character separates
/// maxval from a P5 raster. Bytes after the raster (a second image in the stream) are ignored.
public enum PGMDecoder {
    /// - Throws: `ImageError`: `.malformed` for a broken header, a bad maxval, a sample above
    ///   maxval or a truncated raster; `.unusable` for a zero width or height; `.tooLarge` past
    ///   `limits`.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default) throws -> PGMImage {
        var (header, reader) = try readHeader(bytes, limits: limits)
        let count = header.width * header.height
        if header.plain {
            return PGMImage(width: header.width, height: header.height, maxval: header.maxval,
                            samples: try readPlainRaster(&reader, width: header.width, count: count, maxval: header.maxval))
        }
        try reader.skipSingleSeparatorAfterMaxval()
        return PGMImage(width: header.width, height: header.height, maxval: header.maxval,
                        samples: try readBinaryRaster(bytes, from: reader.position, count: count,
                                                      bytesPerSample: header.bytesPerSample, maxval: header.maxval))
    }

    /// What the header declares, checked against `limits`.
    struct Header {
        let plain: Bool
        let width: Int
        let height: Int
        let maxval: Int
        var bytesPerSample: Int { maxval > 255 ? 2 : 1 }
    }

    /// Reads and checks the header (magic, width, height, maxval) without touching the raster;
    /// the reader is left just after the maxval.
    static func readHeader(_ bytes: [UInt8], limits: DecodeLimits) throws -> (Header, HeaderReader) {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
              bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2") else {
            throw ImageError.malformed("not a PGM file: it must start with P5 or P2")
        }
        var reader = HeaderReader(bytes: bytes, position: 2)
        guard reader.skipSeparators() else {
            throw ImageError.malformed("PGM magic must be followed by whitespace")
        }
        let width = try reader.readNumber(named: "width")
        reader.skipSeparators()
        let height = try reader.readNumber(named: "height")
        reader.skipSeparators()
        let maxval = try reader.readNumber(named: "maxval")
        guard (1...65535).contains(maxval) else {
            throw ImageError.malformed("PGM maxval \(maxval) is outside 1...65535")
        }
        try limits.check(width: width, height: height)
        let header = Header(plain: bytes[1] == UInt8(ascii: "2"), width: width, height: height, maxval: maxval)
        try limits.check(rasterBytes: width * height * header.bytesPerSample)
        return (header, reader)
    }

    /// Netpbm's whitespace: C `isspace` in the POSIX locale.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func readBinaryRaster(_ bytes: [UInt8], from start: Int, count: Int,
                                         bytesPerSample: Int, maxval: Int) throws -> [UInt16] {
        let available = (bytes.count - start) / bytesPerSample
        guard available >= count else {
            throw ImageError.malformed("PGM raster ends after \(available) of \(count) samples")
        }
        return try bytes.withUnsafeBufferPointer { source in
            try [UInt16](unsafeUninitializedCapacity: count) { samples, initialized in
                var largest = 0
                if bytesPerSample == 1 {
                    for index in 0..<count {
                        let value = source[start + index]
                        samples[index] = UInt16(value)
                        largest = max(largest, Int(value))
                    }
                } else {
                    for index in 0..<count {
                        let offset = start + 2 * index
                        let value = UInt16(source[offset]) << 8 | UInt16(source[offset + 1])
                        samples[index] = value
                        largest = max(largest, Int(value))
                    }
                }
                initialized = count
                if largest > maxval {
                    throw ImageError.malformed("PGM sample \(largest) exceeds maxval \(maxval)")
                }
            }
        }
    }

    private static func readPlainRaster(_ reader: inout HeaderReader, width: Int, count: Int, maxval: Int) throws -> [UInt16] {
        var samples = [UInt16]()
        // Each sample but the last needs a digit and a separator: a short body cannot make
        // a huge header reserve memory it will never fill.
        samples.reserveCapacity(min(count, (reader.bytes.count - reader.position) / 2 + 1))
        for index in 0..<count {
            reader.skipSeparators()
            guard reader.position < reader.bytes.count else {
                throw ImageError.malformed("PGM raster ends after \(index) of \(count) samples")
            }
            guard let value = reader.readDigits() else {
                throw ImageError.malformed("PGM sample \(index + 1) of \(count) is not a decimal number")
            }
            guard value <= maxval else {
                throw ImageError.malformed("PGM sample \(value) at (\(index % width), \(index / width)) exceeds maxval \(maxval)")
            }
            samples.append(UInt16(value))
        }
        return samples
    }

    /// A cursor over the header (and a P2 raster) that understands comments.
    struct HeaderReader {
        let bytes: [UInt8]
        var position: Int

        /// Skips whitespace and comments; returns whether anything was skipped.
        @discardableResult
        mutating func skipSeparators() -> Bool {
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if PGMDecoder.isWhitespace(byte) {
                    position += 1
                } else if byte == UInt8(ascii: "#") {
                    skipComment()
                } else {
                    break
                }
            }
            return position > start
        }

        /// Skips a comment up to and including its line end.
        mutating func skipComment() {
            while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
            if position < bytes.count { position += 1 }
        }

        /// Reads an unsigned decimal; nil when no digit is at the cursor. Values are capped
        /// just above what any check accepts, so a thousand-digit width cannot overflow.
        mutating func readDigits() -> Int? {
            var value = 0
            var digits = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                value = min(value * 10 + Int(bytes[position] - UInt8(ascii: "0")), 1 << 40)
                digits += 1
                position += 1
            }
            return digits > 0 ? value : nil
        }

        mutating func readNumber(named name: String) throws -> Int {
            guard position < bytes.count else {
                throw ImageError.malformed("PGM header ends before the \(name)")
            }
            guard let value = readDigits() else {
                throw ImageError.malformed("PGM \(name) is not a decimal number")
            }
            if position < bytes.count && !PGMDecoder.isWhitespace(bytes[position]) && bytes[position] != UInt8(ascii: "#") {
                throw ImageError.malformed("PGM \(name) is followed by an unexpected character")
            }
            return value
        }

        /// P5: exactly one whitespace character ends the header; a comment there counts as
        /// that character, as libnetpbm's `pm_getc` treats it.
        mutating func skipSingleSeparatorAfterMaxval() throws {
            guard position < bytes.count else {
                throw ImageError.malformed("PGM header ends after the maxval, before the raster")
            }
            if bytes[position] == UInt8(ascii: "#") {
                skipComment()
            } else {
                position += 1
            }
        }
    }
}
