/// A camera picture as decoded from a JPEG: 8-bit samples, upright (EXIF orientation applied),
/// in colour when the file was, so the normalizer can tell a blue pen from the paper by colour
/// and not only by brightness.
public struct PhotoImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// `height` rows of `width` pixels of `channels` interleaved samples.
    public let samples: [UInt8]

    public init(width: Int, height: Int, channels: Int, samples: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3)
                     && samples.count == width * height * channels, "PhotoImage needs width*height*channels samples")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// BT.601 luma in 0...1 (0 black), what `normalize=off` and the scan path read, one byte
    /// per pixel: a gray picture's samples are its codes, a colour one's luma goes through
    /// `GrayImage.build` a row at a time (exact up to 256 distinct values, else to 1/255).
    public func grayImage() -> GrayImage {
        if channels == 1 { return GrayImage(width: width, height: height, codes: samples, levels: LevelPalette.uniform) }
        return samples.withUnsafeBufferPointer { samples in
            GrayImage.build(width: width, height: height) { y, row in
                let rowStart = y * width * 3
                for x in 0..<width {
                    let pixel = rowStart + 3 * x
                    row[x] = GrayImage.luma(red: Float(samples[pixel]), green: Float(samples[pixel + 1]),
                                            blue: Float(samples[pixel + 2])) / 255
                }
            }
        }
    }

    /// The picture as it is meant to be seen.
    func oriented(_ orientation: ExifOrientation) -> PhotoImage {
        let turned = orientation.apply(to: samples, width: width, height: height, channels: channels)
        return PhotoImage(width: turned.width, height: turned.height, channels: channels, samples: turned.samples)
    }
}
