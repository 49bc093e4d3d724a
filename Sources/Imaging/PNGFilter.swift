/// PNG's five scanline filters (spec 9.2), applied per row with `bpp` = bytes per complete
/// pixel, rounded up to 1.
public enum PNGFilter: UInt8, Equatable, Sendable, CaseIterable {
    case none = 0
    case sub = 1
    case up = 2
    case average = 3
    case paeth = 4

    /// The Paeth predictor (spec 9.4): whichever of left, above and upper-left is closest to
    /// `a + b - c`. Public for the tests' PNG encoder (TestSupport), which filters with it.
    @inline(__always)
    public static func paethPredictor(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Reverses this filter: writes the reconstructed row to `output` from the filtered bytes
    /// `input` and the previous reconstructed row (`previous` nil on a pass's first row, where
    /// the spec treats the prior row as zeros).
    static func unfilter(_ filter: PNGFilter, input: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>?,
                         output: UnsafeMutablePointer<UInt8>, count: Int, bpp: Int) {
        switch filter {
        case .none:
            output.update(from: input, count: count)
        case .sub:
            for i in 0..<count {
                output[i] = input[i] &+ (i >= bpp ? output[i - bpp] : 0)
            }
        case .up:
            if let previous {
                for i in 0..<count { output[i] = input[i] &+ previous[i] }
            } else {
                output.update(from: input, count: count)
            }
        case .average:
            for i in 0..<count {
                let left = i >= bpp ? Int(output[i - bpp]) : 0
                let above = previous.map { Int($0[i]) } ?? 0
                output[i] = input[i] &+ UInt8((left + above) >> 1)
            }
        case .paeth:
            for i in 0..<count {
                let left = i >= bpp ? output[i - bpp] : 0
                let above = previous?[i] ?? 0
                let upperLeft = (i >= bpp ? previous?[i - bpp] : nil) ?? 0
                output[i] = input[i] &+ paethPredictor(left, above, upperLeft)
            }
        }
    }
}
