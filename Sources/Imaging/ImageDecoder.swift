/// The one entry point the service and the CLI use to turn bytes into pixels.
public enum ImageDecoder {
    /// Decodes a PNG, a PGM, a JPEG or 784 raw bytes.
    ///
    /// How the format is chosen:
    /// - `.raw784` declared and exactly 784 bytes → raw, whatever the bytes are.
    /// - otherwise a PNG or JPEG signature or PGM magic in the content wins over the declared format
    ///   (clients mislabel bodies; the magic does not lie).
    /// - no format declared: 784 bytes → raw; anything else → `.unsupported`.
    /// - a declared format whose magic is missing goes to that decoder, which says what is
    ///   wrong ("not a PNG file ...", "raw image must be 784 bytes ...").
    ///
    /// A JPEG's EXIF orientation (APP1) and a PNG's (`eXIf` chunk) are applied, so the picture
    /// reaches the normalizer upright.
    ///
    /// - Throws: `ImageError`; never traps on any input.
    public static func decode(_ bytes: [UInt8], format: ImageFormat?,
                              limits: DecodeLimits = .default) throws -> DecodedImage {
        switch try chooseFormat(bytes, declared: format) {
        case .png:
            let gray = try PNGDecoder.decode(bytes, limits: limits).grayImage()
            return .luminance(ExifReader.pngOrientation(bytes).map(gray.oriented) ?? gray)
        case .pgm:
            return .luminance(try PGMDecoder.decode(bytes, limits: limits).grayImage())
        case .jpeg:
            return .photo(try JPEGDecoder.decode(bytes, limits: limits))
        case .raw784:
            return .mnistReady(bytes)
        }
    }

    /// The dimensions `bytes` declare and what decoding them would hold, read from the header
    /// alone (a PNG's chunks are walked and their CRCs checked, nothing is inflated; a JPEG's
    /// markers are read up to its first scan), with the
    /// same format choice, limits and errors as `decode`: an image `peek` accepts fails in
    /// `decode` only on its pixel data.
    ///
    /// - Throws: `ImageError`; never traps on any input.
    public static func peek(_ bytes: [UInt8], format: ImageFormat?, limits: DecodeLimits = .default) throws -> ImageHeader {
        switch try chooseFormat(bytes, declared: format) {
        case .png:
            let header = try PNGDecoder.readChunks(bytes, limits: limits).header
            let packed = header.rowBytes(width: header.width) * header.height
            // An EXIF orientation turns the `GrayImage` into a copy of itself.
            let upright = ExifReader.pngOrientation(bytes).map { $0 == .topLeft ? 0 : header.width * header.height } ?? 0
            return ImageHeader(format: .png, width: header.width, height: header.height,
                               rasterBytes: header.filteredSize + packed * (header.interlaced ? 2 : 1) + bytes.count + upright)
        case .pgm:
            let (header, _) = try PGMDecoder.readHeader(bytes, limits: limits)
            return ImageHeader(format: .pgm, width: header.width, height: header.height,
                               rasterBytes: 2 * header.width * header.height)
        case .jpeg:
            return try JPEGDecoder.peek(bytes, limits: limits)
        case .raw784:
            return ImageHeader(format: .raw784, width: MNISTNormalizer.side, height: MNISTNormalizer.side, rasterBytes: 0)
        }
    }

    /// The format `decode` reads `bytes` as (the rules above).
    private static func chooseFormat(_ bytes: [UInt8], declared format: ImageFormat?) throws -> ImageFormat {
        if bytes.isEmpty { throw ImageError.unusable("image is empty (0 bytes)") }
        let chosen: ImageFormat
        if format == .raw784 && bytes.count == 784 {
            chosen = .raw784
        } else if let magic = ImageFormat.sniffMagic(bytes) {
            chosen = magic
        } else if let format {
            chosen = format
        } else if bytes.count == 784 {
            chosen = .raw784
        } else {
            throw ImageError.unsupported("unrecognised image format: not PNG, JPEG, PGM or 784 raw bytes (got \(bytes.count) bytes)")
        }
        if chosen == .raw784 && bytes.count != 784 {
            throw ImageError.unusable("raw image must be 784 bytes (28x28), got \(bytes.count)")
        }
        return chosen
    }
}
