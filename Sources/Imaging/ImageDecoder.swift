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
        switch chosen {
        case .png:
            let gray = try PNGDecoder.decode(bytes, limits: limits).grayImage()
            return .luminance(ExifReader.pngOrientation(bytes).map(gray.oriented) ?? gray)
        case .pgm:
            return .luminance(try PGMDecoder.decode(bytes, limits: limits).grayImage())
        case .jpeg:
            return .photo(try JPEGDecoder.decode(bytes, limits: limits))
        case .raw784:
            guard bytes.count == 784 else {
                throw ImageError.unusable("raw image must be 784 bytes (28x28), got \(bytes.count)")
            }
            return .mnistReady(bytes)
        }
    }
}
