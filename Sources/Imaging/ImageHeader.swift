/// What an image declares about itself, read from its header without decoding any pixels:
/// enough to refuse it, or to reserve the memory its decoding will take, before allocating.
public struct ImageHeader: Equatable, Sendable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int
    /// The most bytes decoding this image and normalizing it hold at once, beyond the encoded
    /// bytes themselves: for a PNG the inflated scanlines, the unfiltered rows (twice for
    /// Adam7, whose passes are unfiltered apart before they are scattered) and the one byte
    /// per pixel of the `GrayImage`; for a PGM its 16-bit samples and the `GrayImage`; plus
    /// the normalizer's row-sized buffers.
    public let decodingBytes: Int

    /// width x height.
    public var pixels: Int { width * height }

    init(format: ImageFormat, width: Int, height: Int, rasterBytes: Int) {
        self.format = format
        self.width = width
        self.height = height
        let pixels = width * height
        // The normalizer: the border ring as Floats, the row pass of the 20-wide resample,
        // and its small tables.
        let normalizing = 8 * (width + height) + 4 * MNISTNormalizer.boxSide * height + 16 << 10
        decodingBytes = rasterBytes + pixels + normalizing
    }
}
