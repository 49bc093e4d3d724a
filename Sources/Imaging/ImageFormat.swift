/// The image encodings `/predict` and `mnist-cnn predict` accept.
public enum ImageFormat: String, Equatable, Sendable, CaseIterable {
    /// PNG, any color type, bit depth and interlace.
    case png
    /// Netpbm graymap, P5 (binary) or P2 (plain).
    case pgm
    /// JPEG/JFIF/Exif, read through libjpeg-turbo (see `JPEGDecoder`).
    case jpeg
    /// Exactly 784 bytes: a 28x28 image, row-major, MNIST polarity (0 background, 255 ink).
    case raw784

    /// The PNG file signature (PNG spec 5.2).
    public static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Recognises a format by its content: `.png` by the 8-byte signature, `.jpeg` by SOI and a marker (FF D8 FF), `.pgm` by `P5` or
    /// `P2` followed by whitespace or `#`, `.raw784` when there are exactly 784 bytes and no
    /// magic matched; nil otherwise.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        sniffMagic(bytes) ?? (bytes.count == 784 ? .raw784 : nil)
    }

    /// The format named by a file's magic number alone.
    static func sniffMagic(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 8 && bytes[0..<8].elementsEqual(pngSignature) { return .png }
        if bytes.count >= 3 && bytes[0..<3].elementsEqual(JPEGDecoder.signature) { return .jpeg }
        if bytes.count >= 3 && bytes[0] == UInt8(ascii: "P")
            && (bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2"))
            && (PGMDecoder.isWhitespace(bytes[2]) || bytes[2] == UInt8(ascii: "#")) {
            return .pgm
        }
        return nil
    }

    /// The format a media type names, ignoring case and parameters (`image/png; q=1`).
    ///
    /// `image/png` → `.png`; `image/jpeg` (and the old `image/jpg`, `image/pjpeg`) → `.jpeg`; `image/x-portable-graymap`, `image/x-pgm`, `image/pgm` → `.pgm`;
    /// `application/octet-stream` → `.raw784` (the contract's raw body; `ImageDecoder` still
    /// honours a PNG or PGM signature in an octet-stream body that is not 784 bytes long).
    /// Anything else → nil.
    public init?(mediaType: String) {
        let essence = mediaType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            .first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        switch essence {
        case "image/png": self = .png
        case "image/jpeg", "image/jpg", "image/pjpeg": self = .jpeg
        case "image/x-portable-graymap", "image/x-pgm", "image/pgm": self = .pgm
        case "application/octet-stream": self = .raw784
        default: return nil
        }
    }
}
