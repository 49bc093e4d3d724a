/// Adam7 geometry (PNG spec 8.2): seven passes over 8x8 tiles, each a small image of its own
/// with its own filtered rows. Public so the tests' PNG encoder (TestSupport) interlaces with
/// the same geometry the decoder reads.
public enum PNGInterlace {
    public struct Pass: Sendable {
        public let xStart: Int, yStart: Int, xStep: Int, yStep: Int

        public func width(of imageWidth: Int) -> Int { imageWidth > xStart ? (imageWidth - xStart + xStep - 1) / xStep : 0 }
        public func height(of imageHeight: Int) -> Int { imageHeight > yStart ? (imageHeight - yStart + yStep - 1) / yStep : 0 }
    }

    public static let adam7: [Pass] = [
        Pass(xStart: 0, yStart: 0, xStep: 8, yStep: 8),
        Pass(xStart: 4, yStart: 0, xStep: 8, yStep: 8),
        Pass(xStart: 0, yStart: 4, xStep: 4, yStep: 8),
        Pass(xStart: 2, yStart: 0, xStep: 4, yStep: 4),
        Pass(xStart: 0, yStart: 2, xStep: 2, yStep: 4),
        Pass(xStart: 1, yStart: 0, xStep: 2, yStep: 2),
        Pass(xStart: 0, yStart: 1, xStep: 1, yStep: 2),
    ]

    /// Copies pixel `sourceX` of a packed row to pixel `destinationX` of another packed row.
    /// Below 8 bits per pixel there is one sample per pixel (gray or palette), so the pixel is
    /// a bit field; the destination bits must be zero beforehand.
    @inline(__always)
    public static func copyPixel(from source: UnsafePointer<UInt8>, _ sourceX: Int,
                          to destination: UnsafeMutablePointer<UInt8>, _ destinationX: Int, bitsPerPixel: Int) {
        if bitsPerPixel >= 8 {
            let bytes = bitsPerPixel / 8
            (destination + destinationX * bytes).update(from: source + sourceX * bytes, count: bytes)
        } else {
            let sourceBit = sourceX * bitsPerPixel
            let value = (source[sourceBit / 8] >> UInt8(8 - bitsPerPixel - sourceBit % 8)) & UInt8((1 << bitsPerPixel) - 1)
            let destinationBit = destinationX * bitsPerPixel
            destination[destinationBit / 8] |= value << UInt8(8 - bitsPerPixel - destinationBit % 8)
        }
    }
}
