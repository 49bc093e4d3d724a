import JPEGShim

/// JPEG (baseline, extended and progressive; gray, YCbCr, RGB, CMYK and Adobe YCCK) through
/// libjpeg-turbo, decoded at the smallest DCT scale that still leaves the normalizer enough
/// pixels, then turned upright by the file's EXIF orientation.
///
/// Why DCT scaling: a 12 MP phone photo decoded in full is 36 MB of RGB and ~50 ms of IDCT;
/// libjpeg-turbo can instead compute each 8x8 block's 1x1, 2x2 or 4x4 reduced IDCT (for 1/8 it
/// is exactly the block mean), so the same photo comes out as 500x375 in a few milliseconds and
/// never exists at full size in memory.
public enum JPEGDecoder {
    /// The decoded picture's shorter side is kept at least this long (unless the file itself is
    /// smaller). The normalizer only needs the digit at a few times its 20 px target: a digit
    /// filling a quarter of a 256 px side is still 64 px tall, and a ballpoint stroke (about
    /// 1/200 of a phone photo's width) stays over a pixel wide, so it is neither lost in the
    /// reduction nor merged with its neighbours. 12 MP (4000x3000) decodes at 1/8 to 500x375,
    /// 3 MP at 1/4 and 1 MP at 1/2, all close to the same working size.
    public static let minimumShorterSide = 256
    /// The largest picture the file may declare, whatever the scale: beyond 100 MP it is no
    /// phone photo, and a progressive file buffers every coefficient of its full size.
    public static let maximumSourcePixels = 100_000_000
    /// The largest progressive picture: its decoding holds every DCT coefficient of the full
    /// size (2 bytes per sample, 1.5 samples per pixel at 4:2:0), 75 MB at 25 MP. Phones write
    /// baseline files, which are decoded a row of blocks at a time at any size.
    public static let maximumProgressivePixels = 25_000_000
    /// Scans a progressive file may have (cameras write about 10; libjpeg-turbo's TurboJPEG API
    /// suggests 500 as its scan limit against small files that take minutes).
    static let maximumScans = 500
    /// The most memory libjpeg may allocate for one decode: the coefficient buffer of the
    /// largest progressive file at 4:2:0 (4:4:4, 3 samples per pixel, would not fit: it is
    /// refused from the header by `jpeg_shim_working_bytes`'s count, and libjpeg itself would
    /// refuse it as "Backing store not supported").
    static let maximumLibraryMemory = 96 << 20

    static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// - Throws: `ImageError`: `.malformed` for anything libjpeg rejects (truncated, corrupt
    ///   Huffman data, bad markers), `.tooLarge` for a declared size beyond the limits,
    ///   `.unsupported` for a colour space it does not read.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default) throws -> PhotoImage {
        try withHeader(bytes, limits: limits) { decoder, header in
            var raw = [UInt8](repeating: 0, count: header.decodedWidth * header.decodedHeight * header.channels)
            let status = raw.withUnsafeMutableBufferPointer {
                jpeg_shim_decode(decoder, Int32(header.denominator), $0.baseAddress, $0.count)
            }
            guard status == 0 else { throw failure(decoder) }
            let picture: PhotoImage
            if header.isCMYK {
                picture = PhotoImage(width: header.decodedWidth, height: header.decodedHeight, channels: 3,
                                     samples: rgb(fromCMYK: raw, adobe: header.adobe))
            } else {
                picture = PhotoImage(width: header.decodedWidth, height: header.decodedHeight,
                                     channels: header.channels, samples: raw)
            }
            return picture.oriented(header.orientation)
        }
    }

    /// What decoding `bytes` would produce and hold, from the header alone (libjpeg reads the
    /// markers up to the first scan; no entropy-coded data is touched): the declared size, the
    /// size at the DCT scale `decode` would choose, and an upper bound of the bytes decoding
    /// and the photo path hold. Fails exactly as `decode` does on a bad header or a size beyond
    /// the limits.
    static func peek(_ bytes: [UInt8], limits: DecodeLimits = .default) throws -> ImageHeader {
        try withHeader(bytes, limits: limits) { _, header in
            let pixels = header.decodedWidth * header.decodedHeight
            // The decoded samples, the RGB converted from CMYK beside them, and the upright copy.
            var raster = pixels * header.channels
            if header.isCMYK { raster += pixels * 3 }
            if header.orientation != .topLeft { raster += pixels * (header.isCMYK ? 3 : header.channels) }
            return ImageHeader(format: .jpeg, width: header.width, height: header.height,
                               decodedWidth: header.decodedWidth, decodedHeight: header.decodedHeight,
                               rasterBytes: header.libraryBytes + raster
                                   + pixels * MNISTNormalizer.photoBytesPerPixel)
        }
    }

    /// A JPEG's header as `decode` and `peek` act on it.
    struct Header {
        /// The size the frame header (SOF) declares.
        let width: Int
        let height: Int
        /// 8, 4, 2 or 1 (`scaleDenominator`).
        let denominator: Int
        /// The size libjpeg decodes at that scale, before the EXIF orientation is applied.
        let decodedWidth: Int
        let decodedHeight: Int
        /// Samples per decoded pixel: 1 (gray), 3 (RGB) or 4 (CMYK).
        let channels: Int
        let isCMYK: Bool
        let adobe: Bool
        let orientation: ExifOrientation
        /// `jpeg_shim_working_bytes`: what libjpeg itself allocates at that scale.
        let libraryBytes: Int
    }

    /// Reads `bytes`' header with a fresh decoder, refuses what the limits refuse, and hands the
    /// decoder (positioned before the first scan) and the header to `body`.
    private static func withHeader<Result>(_ bytes: [UInt8], limits: DecodeLimits,
                                           _ body: (OpaquePointer, Header) throws -> Result) throws -> Result {
        guard bytes.count >= 3, bytes[0..<3].elementsEqual(signature) else {
            throw ImageError.malformed("not a JPEG file (no FF D8 FF start of image)")
        }
        guard let decoder = jpeg_shim_create(maximumLibraryMemory, Int32(maximumScans)) else {
            throw ImageError.tooLarge("out of memory creating the JPEG decoder")
        }
        defer { jpeg_shim_destroy(decoder) }
        return try bytes.withUnsafeBufferPointer { buffer -> Result in
            var declared = jpeg_shim_header()
            switch jpeg_shim_read_header(decoder, buffer.baseAddress, buffer.count, &declared) {
            case 0: break
            case -2: throw ImageError.unsupported("JPEG: " + String(cString: jpeg_shim_message(decoder)))
            default: throw failure(decoder)
            }
            let width = Int(declared.width), height = Int(declared.height)
            if width == 0 || height == 0 { throw ImageError.zeroSized(width: width, height: height) }
            if width * height > maximumSourcePixels {
                throw ImageError.tooLarge("JPEG declares \(width)x\(height), more than \(maximumSourcePixels / 1_000_000) megapixels")
            }
            if declared.progressive != 0 && width * height > maximumProgressivePixels {
                throw ImageError.tooLarge("progressive JPEG declares \(width)x\(height), more than \(maximumProgressivePixels / 1_000_000) megapixels")
            }
            let denominator = scaleDenominator(width: width, height: height)
            var outWidth: Int32 = 0, outHeight: Int32 = 0, outChannels: Int32 = 0
            guard jpeg_shim_output_size(decoder, Int32(denominator), &outWidth, &outHeight, &outChannels) == 0 else {
                throw failure(decoder)
            }
            let channels = Int(outChannels)
            try limits.check(width: Int(outWidth), height: Int(outHeight))
            try limits.check(rasterBytes: Int(outWidth) * Int(outHeight) * channels)
            var coefficients = 0, buffers = 0
            guard jpeg_shim_working_bytes(decoder, Int32(denominator), &coefficients, &buffers) == 0 else {
                throw failure(decoder)
            }
            // libjpeg would refuse this only after allocating its buffers; refused here from the
            // header, peek and decode say the same.
            let libraryBytes = coefficients + buffers
            if libraryBytes > maximumLibraryMemory {
                throw ImageError.tooLarge("JPEG declares \(width)x\(height) in several scans, whose decoding buffers every coefficient: \(libraryBytes >> 20) MiB, more than the limit of \(maximumLibraryMemory >> 20) MiB")
            }
            let header = Header(width: width, height: height, denominator: denominator,
                                decodedWidth: Int(outWidth), decodedHeight: Int(outHeight), channels: channels,
                                isCMYK: Int(declared.color) == Int(JPEG_SHIM_CMYK.rawValue), adobe: declared.adobe != 0,
                                orientation: ExifReader.jpegOrientation(bytes) ?? .topLeft, libraryBytes: libraryBytes)
            return try body(decoder, header)
        }
    }

    /// The decoder's last error as an `ImageError`.
    private static func failure(_ decoder: OpaquePointer) -> ImageError {
        let message = "JPEG: " + String(cString: jpeg_shim_message(decoder))
        return jpeg_shim_error_is_size(decoder) != 0 ? ImageError.tooLarge(message) : ImageError.malformed(message)
    }

    /// The largest of 8, 4, 2 and 1 that keeps the shorter side at `minimumShorterSide` or more
    /// (libjpeg rounds a scaled side up, so `side / d` is a lower bound).
    static func scaleDenominator(width: Int, height: Int) -> Int {
        let shorter = min(width, height)
        return [8, 4, 2].first { shorter / $0 >= minimumShorterSide } ?? 1
    }

    /// CMYK samples to RGB by the naive ink model (R = (1-C)(1-K)). Adobe applications store
    /// CMYK inverted (255 = no ink), which libjpeg passes through as is; the Adobe APP14 marker
    /// is what says so.
    static func rgb(fromCMYK cmyk: [UInt8], adobe: Bool) -> [UInt8] {
        let pixels = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: pixels * 3)
        for i in 0..<pixels {
            func paper(_ sample: UInt8) -> Int { adobe ? Int(sample) : 255 - Int(sample) }
            let k = paper(cmyk[4 * i + 3])
            for channel in 0..<3 {
                rgb[3 * i + channel] = UInt8((paper(cmyk[4 * i + channel]) * k + 127) / 255)
            }
        }
        return rgb
    }
}
