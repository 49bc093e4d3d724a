/// Approximate equality for test assertions: |a − b| ≤ absolute + relative · max(|a|, |b|).
///
/// Not transitive, so it never backs `Equatable`; tests call it explicitly.
public func isClose<T: BinaryFloatingPoint>(_ a: T, _ b: T, absolute: T = 1e-5, relative: T = 1e-4) -> Bool {
    if a.isNaN || b.isNaN { return false }
    return abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

/// The first index where two arrays differ beyond tolerance, with both values, or nil.
public func firstMismatch<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], absolute: T = 1e-5,
                                                  relative: T = 1e-4) -> (index: Int, a: T, b: T)? {
    guard a.count == b.count else { return (-1, T(a.count), T(b.count)) }
    for i in a.indices where !isClose(a[i], b[i], absolute: absolute, relative: relative) {
        return (i, a[i], b[i])
    }
    return nil
}

extension SplitMix64 {
    /// Uniform in [low, high).
    public mutating func float(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    public mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }
}
