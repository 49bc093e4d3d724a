/// A netpbm graymap as stored: `samples` are `height` rows of `width` values in 0...maxval,
/// 0 black and maxval white.
public struct PGMImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1...65535; above 255 the binary form stores two bytes per sample, big-endian.
    public let maxval: Int
    public let samples: [UInt16]

    public init(width: Int, height: Int, maxval: Int, samples: [UInt16]) {
        precondition((1...65535).contains(maxval), "PGM maxval must be 1...65535")
        precondition(width >= 0 && height >= 0 && samples.count == width * height, "PGM needs width*height samples")
        self.width = width
        self.height = height
        self.maxval = maxval
        self.samples = samples
    }

    /// The luminance image: each sample divided by maxval (a true division, so a PGM and a
    /// PNG holding the same 8-bit samples give identical pixels). Up to maxval 255 the
    /// samples are the codes themselves.
    public func grayImage() -> GrayImage {
        let maximum = Float(maxval)
        guard maxval <= 255 else {
            return GrayImage.build(width: width, height: height) { y, row in
                for x in 0..<width { row[x] = Float(samples[y * width + x]) / maximum }
            }
        }
        return GrayImage(width: width, height: height, codes: samples.map { UInt8($0) },
                         levels: (0..<256).map { Float($0) / maximum })
    }
}
