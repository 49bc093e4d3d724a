import Testing
import TensorCore
import TestSupport

/// Initial weights have the spread their scheme promises, biases start at zero, and a seed
/// always draws the same network.
@Suite struct InitializationTests {
    func weights(_ scheme: WeightInitialization, seed: UInt64 = 3) throws -> (Linear, [Float]) {
        let network = try Network(architecture: Architecture(input: ImageShape(height: 1, width: 1, channels: 400),
                                                             layers: [.linear(outFeatures: 300)]),
                                  seed: seed, initialization: scheme)
        let linear = try #require(network.layers[0] as? Linear)
        return (linear, Array(UnsafeBufferPointer(start: linear.weight, count: 400 * 300)))
    }

    @Test func heIsNormalWithVarianceTwoOverFanIn() throws {
        let (linear, w) = try weights(.he)
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        #expect(abs(mean) < 0.002)
        #expect(isClose(variance, 2 / 400, absolute: 0, relative: 0.03))
        #expect(UnsafeBufferPointer(start: linear.bias, count: 300).allSatisfy { $0 == 0 })
    }

    @Test func glorotIsUniformWithinItsLimit() throws {
        let (_, w) = try weights(.glorot)
        let limit = (6 / Float(400 + 300)).squareRoot()
        #expect(w.allSatisfy { abs($0) <= limit })
        let variance = w.reduce(0) { $0 + $1 * $1 } / Float(w.count)
        #expect(isClose(variance, limit * limit / 3, absolute: 0, relative: 0.03))
    }

    @Test func aSeedDrawsTheSameNetwork() throws {
        #expect(try weights(.he, seed: 9).1 == weights(.he, seed: 9).1)
        #expect(try weights(.he, seed: 9).1 != weights(.he, seed: 10).1)
    }
}
