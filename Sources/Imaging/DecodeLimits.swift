/// Bounds checked before any pixel memory is allocated, so that a small hostile file (a PNG
/// declaring 30000x30000, or an IDAT stream that inflates to gigabytes) is refused cheaply.
public struct DecodeLimits: Equatable, Sendable {
    /// The widest image accepted, in pixels.
    public var maxWidth: Int
    /// The tallest image accepted, in pixels.
    public var maxHeight: Int
    /// The most bytes a compressed raster (PNG IDAT) may inflate to, and the most raster bytes
    /// a PGM may declare. It also caps the pixel count, which keeps every size computation far
    /// from overflow.
    public var maxDecompressedBytes: Int
    /// The most pixels (width x height) one image may declare: the size of its `GrayImage`
    /// (one byte per pixel) and what its decoding and normalizing cost in time. A JPEG's
    /// width, height and pixels are checked at the DCT scale it is decoded at.
    public var maxPixels: Int

    public init(maxWidth: Int = 4096, maxHeight: Int = 4096, maxDecompressedBytes: Int = 64 << 20,
                maxPixels: Int = 4096 * 4096) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxPixels = maxPixels
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
        let pixelLimit = min(maxPixels, maxDecompressedBytes)
        if overflow || pixels > pixelLimit {
            throw ImageError.tooLarge("image is \(width)x\(height), more pixels than the limit of \(pixelLimit)")
        }
    }

    /// Throws when a raster of `bytes` bytes would exceed `maxDecompressedBytes`.
    func check(rasterBytes bytes: Int) throws {
        if bytes > maxDecompressedBytes {
            throw ImageError.tooLarge("image data would take \(bytes) bytes, more than the limit of \(maxDecompressedBytes)")
        }
    }
}
