/// A grayscale image as the normalizer consumes it.
///
/// `pixels` are luminance in 0...1, row-major, 0 black and 1 white, after any alpha has been
/// composited onto white paper (a transparent canvas with black strokes reads as black ink on
/// white paper, which is how it looks to the person who drew it).
public struct GrayImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `height` rows of `width` values.
    public let pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayImage needs width*height pixels")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The luminance at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float {
        pixels[y * width + x]
    }

    /// ITU-R BT.601 luma from linear-coded RGB in 0...1 (the weights MNIST-era tools and PIL's
    /// `convert("L")` use).
    @inline(__always)
    public static func luma(red: Float, green: Float, blue: Float) -> Float {
        0.299 * red + 0.587 * green + 0.114 * blue
    }

    /// Composites a luminance with coverage `alpha` (0 transparent, 1 opaque) onto white paper.
    @inline(__always)
    public static func onWhitePaper(_ luminance: Float, alpha: Float) -> Float {
        luminance * alpha + (1 - alpha)
    }

    /// The picture as it is meant to be seen, for an image that carried an EXIF orientation.
    public func oriented(_ orientation: ExifOrientation) -> GrayImage {
        let turned = orientation.apply(to: pixels, width: width, height: height, channels: 1)
        return GrayImage(width: turned.width, height: turned.height, pixels: turned.samples)
    }
}
