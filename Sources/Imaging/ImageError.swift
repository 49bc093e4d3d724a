/// Why an image could not be turned into pixels, in words a user can act on.
///
/// `kind` is the class of failure; the service maps it to an HTTP status (this module knows
/// nothing of HTTP): `.unsupported` → 415, `.malformed` → 400, `.unusable` → 422,
/// `.tooLarge` → 413. `description` says what exactly was wrong, e.g.
/// "PNG chunk IDAT has a bad CRC" or "PGM raster ends after 700 of 784 samples".
public struct ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// A format or feature this module does not read (unknown magic, unknown critical PNG
        /// chunk, a data URL that is not base64).
        case unsupported
        /// The bytes break the format's rules: truncated, bad CRC, corrupt zlib stream,
        /// bad base64, sample above maxval.
        case malformed
        /// Well-formed but not usable as a digit: a 0x0 image, 783 raw bytes, no ink,
        /// a 20x20 image with `normalize=off`.
        case unusable
        /// Dimensions or decompressed size beyond `DecodeLimits`: refused before decoding,
        /// the way a body over the size limit is.
        case tooLarge
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func malformed(_ description: String) -> ImageError { ImageError(.malformed, description) }
    static func unsupported(_ description: String) -> ImageError { ImageError(.unsupported, description) }
    static func unusable(_ description: String) -> ImageError { ImageError(.unusable, description) }
    static func tooLarge(_ description: String) -> ImageError { ImageError(.tooLarge, description) }

    /// The error for a zero-sized image, shared by every decoder so the wording is the same.
    static func zeroSized(width: Int, height: Int) -> ImageError {
        .unusable("image is \(width)x\(height)")
    }
}
