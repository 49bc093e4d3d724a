/// What an image declares about itself, read from its header without decoding any pixels:
/// enough to refuse it, or to reserve the memory its decoding will take, before allocating.
public struct ImageHeader: Equatable, Sendable {
    public let format: ImageFormat
    /// The size the file declares.
    public let width: Int
    public let height: Int
    /// The pixels decoding produces, what the pixel caps and the inline-or-worker decision
    /// count: width x height, except for a JPEG, which is decoded at a DCT scale (a 12 MP
    /// photo at 1/8, 187,500 pixels).
    public let pixels: Int
    /// The most bytes decoding this image and normalizing it hold at once, beyond the encoded
    /// bytes themselves: for a PNG the inflated scanlines, the unfiltered rows (twice for
    /// Adam7, whose passes are unfiltered apart before they are scattered), the one byte per
    /// pixel of the `GrayImage` and its upright copy when an `eXIf` chunk turns it; for a PGM
    /// its 16-bit samples and the `GrayImage`; for a JPEG libjpeg's working memory, the
    /// colour raster at the DCT scale (and its CMYK-to-RGB and upright copies), its
    /// `GrayImage` and the photo path's buffers; plus the normalizer's row-sized buffers.
    public let decodingBytes: Int

    /// An image decoded at the size it declares, or (a JPEG) at `decodedWidth` x `decodedHeight`.
    init(format: ImageFormat, width: Int, height: Int, decodedWidth: Int? = nil, decodedHeight: Int? = nil,
         rasterBytes: Int) {
        self.format = format
        self.width = width
        self.height = height
        let decodedWidth = decodedWidth ?? width, decodedHeight = decodedHeight ?? height
        pixels = decodedWidth * decodedHeight
        // The normalizer: the border ring as Floats, the row pass of the 20-wide resample (over
        // the longer side, as an EXIF orientation may stand the picture up), and its small tables.
        let normalizing = 8 * (decodedWidth + decodedHeight)
            + 4 * MNISTNormalizer.boxSide * max(decodedWidth, decodedHeight) + 16 << 10
        decodingBytes = rasterBytes + pixels + normalizing
    }
}
