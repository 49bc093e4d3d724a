/// What a decoder produced, with the polarity it is in, so the normalizer knows whether the
/// values are luminance (which need polarity detection) or already MNIST ink.
public enum DecodedImage: Equatable, Sendable {
    /// A PNG or PGM: luminance, 0 black and 1 white.
    case luminance(GrayImage)
    /// A JPEG: a camera picture, upright, in colour if the file was. The normalizer treats it
    /// as a photo (uneven light, tinted paper, coloured ink) unless it looks like a scan.
    case photo(PhotoImage)
    /// 784 raw bytes: a 28x28 image already in MNIST form (0 background, 255 ink), passed
    /// through untouched by the normalizer.
    case mnistReady([UInt8])

    public var width: Int {
        switch self {
        case .luminance(let image): return image.width
        case .photo(let image): return image.width
        case .mnistReady: return MNISTNormalizer.side
        }
    }

    public var height: Int {
        switch self {
        case .luminance(let image): return image.height
        case .photo(let image): return image.height
        case .mnistReady: return MNISTNormalizer.side
        }
    }
}
