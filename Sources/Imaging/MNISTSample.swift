/// A 28x28 image in MNIST form, ready for the network.
public struct MNISTSample: Equatable, Sendable {
    /// 784 values in 0...1, row-major, MNIST polarity: 0 background, 1 ink.
    public let pixels: [Float]

    public init(pixels: [Float]) {
        precondition(pixels.count == MNISTNormalizer.side * MNISTNormalizer.side, "an MNIST sample has 784 pixels")
        self.pixels = pixels
    }

    /// The same image as 784 bytes (0 background, 255 ink), as MNIST's IDX files store it.
    /// For a raw 784-byte input these are exactly the input bytes.
    public var bytes: [UInt8] {
        pixels.map { UInt8(min(max($0 * 255, 0), 255).rounded()) }
    }
}
