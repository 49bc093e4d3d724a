import Foundation
import Testing
import MNISTData
import TestSupport

/// A 28x28 test image with a distinct value at every pixel, so any misplacement shows.
private let patterned: [UInt8] = (0..<784).map { UInt8(($0 * 37 + 11) % 256) }

/// Warps `source` with `transform` and returns the floats.
private func warp(_ source: [UInt8], _ transform: Augmentation.Transform) -> [Float] {
    var output = [Float](repeating: -1, count: 784)
    source.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            Augmentation.warp(input.baseAddress!, into: out.baseAddress!, rows: 28, columns: 28, transform: transform)
        }
    }
    return output
}

/// Augments `source` with random parameters from `rng`.
private func augment(_ source: [UInt8], _ augmentation: Augmentation, rng: inout SplitMix64) -> [Float] {
    var output = [Float](repeating: -1, count: 784)
    output.withUnsafeMutableBufferPointer { out in
        augmentation.augment(source[...], into: out.baseAddress!, rng: &rng)
    }
    return output
}


/// The plain definition of the warp, kept as the reference: every output pixel, bilinear
/// interpolation with an explicit bounds check on each neighbour.
private func referenceWarp(_ source: [UInt8], _ t: Augmentation.Transform) -> [Float] {
    let radians = Float.pi / 180
    let cosine = cos(t.rotationDegrees * radians), sine = sin(t.rotationDegrees * radians)
    let shear = tan(t.shearDegrees * radians)
    let a = cosine * t.scale, b = (cosine * shear - sine) * t.scale
    let c = sine * t.scale, d = (sine * shear + cosine) * t.scale
    let determinant = a * d - b * c
    func pixel(_ x: Int, _ y: Int) -> Float { (0..<28).contains(x) && (0..<28).contains(y) ? Float(source[y * 28 + x]) : 0 }
    var output = [Float](repeating: 0, count: 784)
    for y in 0..<28 {
        for x in 0..<28 {
            let dx = Float(x) - 13.5 - t.shiftX, dy = Float(y) - 13.5 - t.shiftY
            let sx = (d * dx - b * dy) / determinant + 13.5
            let sy = (-c * dx + a * dy) / determinant + 13.5
            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
            let fx = sx - Float(x0), fy = sy - Float(y0)
            let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
            let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
            output[y * 28 + x] = (top * (1 - fy) + bottom * fy) / 255
        }
    }
    return output
}

/// An MNIST-like image: a filled ring in the middle, zero around it.
private let ring: [UInt8] = (0..<784).map { index in
    let x = Float(index % 28) - 14, y = Float(index / 28) - 13
    let radius = (x * x + y * y).squareRoot()
    return radius > 4 && radius < 8 ? UInt8(min(255, 60 + index % 196)) : 0
}

@Suite struct AugmentationTests {
    /// No augmentation returns the input exactly, scaled to 0...1.
    @Test func identityReproducesInput() {
        var rng = SplitMix64(seed: 1)
        let expected = patterned.map { Float($0) / 255 }
        #expect(augment(patterned, .none, rng: &rng) == expected)
        #expect(warp(patterned, .identity) == expected)
    }

    /// A shift of +1 px right moves every column right by one, bringing in zeros at the left;
    /// +1 down likewise for rows.
    @Test func shiftMovesByOnePixel() {
        let right = warp(patterned, .init(shiftX: 1))
        let down = warp(patterned, .init(shiftY: 1))
        for y in 0..<28 {
            for x in 0..<28 {
                let fromLeft: Float = x == 0 ? 0 : Float(patterned[y * 28 + x - 1]) / 255
                let fromAbove: Float = y == 0 ? 0 : Float(patterned[(y - 1) * 28 + x]) / 255
                #expect(right[y * 28 + x] == fromLeft, "right shift at (\(x), \(y))")
                #expect(down[y * 28 + x] == fromAbove, "down shift at (\(x), \(y))")
            }
        }
    }

    /// A 90° rotation turns a horizontal bar through the centre into a vertical one.
    @Test func rotationTurnsBar() {
        var bar = [UInt8](repeating: 0, count: 784)
        for x in 4..<24 { bar[14 * 28 + x] = 255 }
        let turned = warp(bar, .init(rotationDegrees: 90))
        let inkColumns = Set((0..<784).filter { turned[$0] > 0.5 }.map { $0 % 28 })
        let inkRows = Set((0..<784).filter { turned[$0] > 0.5 }.map { $0 / 28 })
        #expect(inkColumns.count <= 2 && inkRows.count >= 18)
    }

    /// Dilation thickens a one-pixel dot into a 3x3 block; erosion removes it.
    @Test func strokeChangeDilatesAndErodes() {
        var dot = [UInt8](repeating: 0, count: 784)
        dot[10 * 28 + 10] = 200
        let thick = warp(dot, .init(stroke: .thicker))
        let thin = warp(dot, .init(stroke: .thinner))
        #expect(thick.filter { $0 > 0 }.count == 9)
        #expect(thick[9 * 28 + 9] == Float(200) / 255 && thick[11 * 28 + 11] == Float(200) / 255)
        #expect(thin.allSatisfy { $0 == 0 })
    }

    /// The same generator state gives the same images; a different seed gives different ones.
    @Test func sameSeedSameOutput() {
        let augmentation = Augmentation(maxShearDegrees: 10, strokeChangeProbability: 0.5)
        var first = SplitMix64(seed: 42), second = SplitMix64(seed: 42), other = SplitMix64(seed: 43)
        for _ in 0..<20 {
            let a = augment(patterned, augmentation, rng: &first)
            #expect(a == augment(patterned, augmentation, rng: &second))
            #expect(a != augment(patterned, augmentation, rng: &other))
        }
    }

    /// Every output value is in 0...1, for strong random transforms of a saturated image.
    @Test func outputStaysInUnitRange() {
        let augmentation = Augmentation(maxShift: 4, maxRotationDegrees: 45, scaleRange: 0.5...1.8,
                                        maxShearDegrees: 30, strokeChangeProbability: 0.5)
        var rng = SplitMix64(seed: 7)
        let images: [[UInt8]] = [patterned, [UInt8](repeating: 255, count: 784)]
        for image in images {
            for _ in 0..<50 {
                let output = augment(image, augmentation, rng: &rng)
                #expect(output.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
        }
    }

    /// Drawn transforms stay within the configured limits.
    @Test func drawsWithinLimits() {
        let augmentation = Augmentation(maxShift: 2, maxRotationDegrees: 12, scaleRange: 0.9...1.1, maxShearDegrees: 5)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<200 {
            let t = augmentation.randomTransform(rng: &rng)
            #expect(abs(t.shiftX) <= 2 && abs(t.shiftY) <= 2 && abs(t.rotationDegrees) <= 12)
            #expect((0.9...1.1).contains(t.scale) && abs(t.shearDegrees) <= 5 && t.stroke == .unchanged)
        }
    }

    /// The optimized warp (zero border, interpolating only near the ink) matches the plain
    /// definition on random transforms, including strong ones that push ink off the edge.
    @Test func matchesReferenceWarp() {
        let augmentation = Augmentation(maxShift: 8, maxRotationDegrees: 60, scaleRange: 0.5...2, maxShearDegrees: 30)
        var rng = SplitMix64(seed: 11)
        for image in [ring, patterned] {
            for _ in 0..<200 {
                let transform = augmentation.randomTransform(rng: &rng)
                let fast = warp(image, transform), slow = referenceWarp(image, transform)
                let worst = zip(fast, slow).map { abs($0 - $1) }.max()!
                #expect(worst < 1e-4, "\(transform)")
            }
        }
    }

    /// Degenerate transforms (zero scale, infinite or NaN shift) give background, never a trap.
    @Test func degenerateTransformsGiveBackground() {
        let transforms: [Augmentation.Transform] = [.init(scale: 0), .init(shiftX: .infinity), .init(shiftY: .nan),
                                                     .init(shiftX: 1e30, shiftY: -1e30), .init(scale: .infinity)]
        for transform in transforms {
            #expect(warp(ring, transform).allSatisfy { $0 == 0 }, "\(transform)")
        }
        #expect(warp([UInt8](repeating: 0, count: 784), .init(rotationDegrees: 30)).allSatisfy { $0 == 0 })
    }
}
