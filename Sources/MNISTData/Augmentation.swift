/// Random, seeded data augmentation for training images: an affine warp (shift, rotation,
/// scale, shear) and an optional change of stroke thickness, applied on the fly per image.
///
/// The parameters say how far each draw may go; `randomTransform(rng:)` draws one concrete
/// `Transform`, and `warp` (in Augmentation+Warp.swift) applies it. Every image consumes the
/// same number of draws from the generator, so a seeded generator gives the same images
/// whatever the parameters' values.
public struct Augmentation: Equatable, Sendable {
    /// The largest shift, in pixels, along each axis (drawn uniformly, sub-pixel).
    public var maxShift: Float
    /// The largest rotation either way, in degrees.
    public var maxRotationDegrees: Float
    /// The range the scale factor is drawn from (1 keeps the size).
    public var scaleRange: ClosedRange<Float>
    /// The largest horizontal shear either way, in degrees (0 turns shear off).
    public var maxShearDegrees: Float
    /// The chance that an image's strokes are thickened or thinned (one half each) by a 3x3
    /// grayscale dilation or erosion before the warp; 0 turns it off.
    public var strokeChangeProbability: Float

    /// - Parameters: see the properties; the defaults are a mild, commonly used MNIST setting
    ///   (shift 2.5 px, rotation 12°, scale 0.9...1.1, no shear, no stroke change).
    public init(maxShift: Float = 2.5, maxRotationDegrees: Float = 12, scaleRange: ClosedRange<Float> = 0.9...1.1,
                maxShearDegrees: Float = 0, strokeChangeProbability: Float = 0) {
        precondition(maxShift >= 0 && maxRotationDegrees >= 0 && maxShearDegrees >= 0 && maxShearDegrees < 90,
                     "Augmentation: limits must be non-negative (shear below 90°)")
        precondition(scaleRange.lowerBound > 0, "Augmentation: scale must be positive")
        precondition((0...1).contains(strokeChangeProbability), "Augmentation: probability must be in 0...1")
        self.maxShift = maxShift
        self.maxRotationDegrees = maxRotationDegrees
        self.scaleRange = scaleRange
        self.maxShearDegrees = maxShearDegrees
        self.strokeChangeProbability = strokeChangeProbability
    }

    /// No change at all: every drawn transform is the identity.
    public static let none = Augmentation(maxShift: 0, maxRotationDegrees: 0, scaleRange: 1...1,
                                          maxShearDegrees: 0, strokeChangeProbability: 0)

    /// A stroke-thickness change.
    public enum StrokeChange: Equatable, Sendable {
        case unchanged
        /// 3x3 grayscale dilation (maximum of the neighbourhood).
        case thicker
        /// 3x3 grayscale erosion (minimum of the neighbourhood, zero outside the image).
        case thinner
    }

    /// One concrete transform. The warp maps an input point `p` to `A (p - c) + c + shift`,
    /// where `c` is the image centre and `A = rotation · shear · scale`.
    public struct Transform: Equatable, Sendable {
        public var rotationDegrees: Float
        public var scale: Float
        public var shearDegrees: Float
        /// Pixels to the right.
        public var shiftX: Float
        /// Pixels down.
        public var shiftY: Float
        public var stroke: StrokeChange

        public init(rotationDegrees: Float = 0, scale: Float = 1, shearDegrees: Float = 0,
                    shiftX: Float = 0, shiftY: Float = 0, stroke: StrokeChange = .unchanged) {
            self.rotationDegrees = rotationDegrees
            self.scale = scale
            self.shearDegrees = shearDegrees
            self.shiftX = shiftX
            self.shiftY = shiftY
            self.stroke = stroke
        }

        public static let identity = Transform()
    }

    /// Draws one transform. Always makes the same seven draws, in a fixed order.
    public func randomTransform(rng: inout some RandomNumberGenerator) -> Transform {
        let rotation = Float.random(in: -maxRotationDegrees...maxRotationDegrees, using: &rng)
        let scale = Float.random(in: scaleRange, using: &rng)
        let shear = Float.random(in: -maxShearDegrees...maxShearDegrees, using: &rng)
        let shiftX = Float.random(in: -maxShift...maxShift, using: &rng)
        let shiftY = Float.random(in: -maxShift...maxShift, using: &rng)
        let strokeDraw = Float.random(in: 0..<1, using: &rng)
        let thicker = Bool.random(using: &rng)
        let stroke: StrokeChange = strokeDraw < strokeChangeProbability ? (thicker ? .thicker : .thinner) : .unchanged
        return Transform(rotationDegrees: rotation, scale: scale, shearDegrees: shear,
                         shiftX: shiftX, shiftY: shiftY, stroke: stroke)
    }

    /// Augments one image: draws a transform and warps `source` into `destination` as floats
    /// in 0...1 (pixel / 255). Allocates nothing on the heap.
    ///
    /// - Parameters:
    ///   - source: `rows * columns` bytes, row-major.
    ///   - destination: room for `rows * columns` floats.
    public func augment(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<Float>,
                        rows: Int = 28, columns: Int = 28, rng: inout some RandomNumberGenerator) {
        let transform = randomTransform(rng: &rng)
        Self.warp(source, into: destination, rows: rows, columns: columns, transform: transform)
    }

    /// `augment` for an image held in an array.
    public func augment(_ source: [UInt8], into destination: UnsafeMutablePointer<Float>,
                        rows: Int = 28, columns: Int = 28, rng: inout some RandomNumberGenerator) {
        augment(source[...], into: destination, rows: rows, columns: columns, rng: &rng)
    }

    /// `augment` for a dataset slice such as `MNISTDataset.image(at:)`.
    public func augment(_ source: ArraySlice<UInt8>, into destination: UnsafeMutablePointer<Float>,
                        rows: Int = 28, columns: Int = 28, rng: inout some RandomNumberGenerator) {
        precondition(source.count == rows * columns, "augment: source must hold rows x columns pixels")
        source.withUnsafeBufferPointer { buffer in
            augment(buffer.baseAddress!, into: destination, rows: rows, columns: columns, rng: &rng)
        }
    }
}
