/// Bounds checked before any pixel memory is allocated, so that a small hostile file (a PNG
/// declaring 30000x30000, or an IDAT stream that inflates to gigabytes) is refused cheaply.
public struct DecodeLimits: Equatable, Sendable {
    /// The widest image accepted, in pixels.
    public var maxWidth: Int
    /// The tallest image accepted, in pixels.
    public var maxHeight: Int
    /// The most bytes a compressed raster (PNG IDAT) may inflate to, and the most raster bytes
    /// a PGM may declare. It also caps the pixel count (width x height), which bounds the
    /// `GrayImage` (4 bytes per pixel) and keeps every size computation far from overflow.
    public var maxDecompressedBytes: Int

    public init(maxWidth: Int = 4096, maxHeight: Int = 4096, maxDecompressedBytes: Int = 64 << 20) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxDecompressedBytes = maxDecompressedBytes
    }

    /// 4096x4096 pixels and 64 MiB of raster data.
    public static let `default` = DecodeLimits()

    /// Throws the error every decoder gives for dimensions outside the limits.
    func check(width: Int, height: Int) throws {
        if width == 0 || height == 0 { throw ImageError.zeroSized(width: width, height: height) }
        if width > maxWidth || height > maxHeight {
            throw ImageError.tooLarge("image is \(width)x\(height), larger than the limit of \(maxWidth)x\(maxHeight)")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxDecompressedBytes {
            throw ImageError.tooLarge("image is \(width)x\(height), more pixels than the limit of \(maxDecompressedBytes)")
        }
    }

    /// Throws when a raster of `bytes` bytes would exceed `maxDecompressedBytes`.
    func check(rasterBytes bytes: Int) throws {
        if bytes > maxDecompressedBytes {
            throw ImageError.tooLarge("image data would take \(bytes) bytes, more than the limit of \(maxDecompressedBytes)")
        }
    }
}
