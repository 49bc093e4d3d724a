/// A 28x28 image in MNIST form, ready for the network.
public struct MNISTSample: Equatable, Sendable {
    /// 784 values in 0...1, row-major, MNIST polarity: 0 background, 1 ink.
    public let pixels: [Float]

    public init(pixels: [Float]) {
        precondition(pixels.count == MNISTNormalizer.side * MNISTNormalizer.side, "an MNIST sample has 784 pixels")
        self.pixels = pixels
    }

    /// `bytes` (0 background, 255 ink) as pixels, each byte / 255: MNIST's own scaling, in a
    /// loop the compiler vectorizes (`map` is not, at 18 instructions a byte).
    public static func pixels<Bytes: Collection>(fromBytes bytes: Bytes) -> [Float] where Bytes.Element == UInt8 {
        [Float](unsafeUninitializedCapacity: bytes.count) { pixels, initialized in
            let copied: Void? = bytes.withContiguousStorageIfAvailable { source in
                for i in 0..<source.count { pixels[i] = Float(source[i]) / 255 }
            }
            if copied == nil {
                for (i, byte) in bytes.enumerated() { pixels[i] = Float(byte) / 255 }
            }
            initialized = bytes.count
        }
    }

    /// The same image as 784 bytes (0 background, 255 ink), as MNIST's IDX files store it.
    /// For a raw 784-byte input these are exactly the input bytes.
    public var bytes: [UInt8] {
        pixels.map { UInt8(min(max($0 * 255, 0), 255).rounded()) }
    }
}
