import Testing
import TensorCore
import TestSupport

/// The int8 network end to end on a small random network with odd shapes: every way a
/// convolution reads its input (a single channel by kernel rows; im2col for padding, here with
/// stride 2; in place for channels in fours), odd channel counts, a linear layer whose width is
/// not a multiple of 4, batch norms to fold.
@Suite struct QuantizedNetworkTests {
    static let architecture = Architecture(input: ImageShape(height: 15, width: 13, channels: 1), layers: [
        .conv2d(outChannels: 8, kernelSize: 3), .batchNorm(), .relu,
        .maxPool2d(kernelSize: 2, stride: 2),
        .conv2d(outChannels: 12, kernelSize: 3, stride: 2, padding: 1), .relu,
        .conv2d(outChannels: 19, kernelSize: 2), .batchNorm(), .relu,
        .flatten, .linear(outFeatures: 13), .batchNorm(), .relu, .dropout(p: 0.3),
        .linear(outFeatures: 10),
    ])

    static func network(threads: Int = 1) throws -> (Network, [Float], Int8Calibration) {
        let network = try Network(architecture: architecture, seed: 5, threads: threads)
        // Batch norms with non-trivial statistics, so folding matters.
        var random = SplitMix64(seed: 6)
        for layer in network.layers {
            guard let norm = layer as? BatchNorm else { continue }
            for c in 0..<norm.inputShape.channels {
                norm.gamma[c] = random.float(0.5, 1.5); norm.beta[c] = random.float(-0.2, 0.2)
                norm.runningMean[c] = random.float(-0.3, 0.3); norm.runningVariance[c] = random.float(0.2, 2)
            }
        }
        network.parametersDidChange()
        let count = 64
        let images = (0..<(count * network.inputCount)).map { _ in Float(UInt8.random(in: 0...255, using: &random)) / 255 }
        let calibration = try images.withUnsafeBufferPointer {
            try Int8Calibration.measure(network: network, images: $0.baseAddress!, count: count, source: "random")
        }
        return (network, images, calibration)
    }

    /// Every instruction set gives exactly the reference's logits, for one image and a batch
    /// split over two threads.
    @Test func everyInstructionSetGivesTheReferenceLogits() throws {
        let (network, images, calibration) = try Self.network()
        #expect(calibration.activationScales.count == 4)
        let count = images.count / network.inputCount
        let reference = try QuantizedNetwork(network: network, calibration: calibration, instructionSet: .reference)
        let want = images.withUnsafeBufferPointer { Array(reference.forward($0.baseAddress!, batch: count)) }
        for isa in Int8InstructionSet.allCases where isa.isSupported {
            let quantized = try QuantizedNetwork(network: network, calibration: calibration, instructionSet: isa, threads: 2)
            let batched = images.withUnsafeBufferPointer { Array(quantized.forward($0.baseAddress!, batch: count)) }
            #expect(batched == want, "\(isa) batch")
            let single = images.withUnsafeBufferPointer { Array(quantized.forward($0.baseAddress! + 3 * network.inputCount, batch: 1)) }
            #expect(single == Array(want[(3 * 10)..<(4 * 10)]), "\(isa) single image")
        }
    }

    /// The int8 logits follow the fp32 ones closely (a wrong scale, fold or layout would not).
    @Test func logitsTrackTheFloatNetwork() throws {
        let (network, images, calibration) = try Self.network()
        let count = images.count / network.inputCount
        let quantized = try QuantizedNetwork(network: network, calibration: calibration)
        let float = images.withUnsafeBufferPointer { Array(network.forward($0.baseAddress!, batch: count)) }
        let int8 = images.withUnsafeBufferPointer { Array(quantized.forward($0.baseAddress!, batch: count)) }
        let range = float.max()! - float.min()!
        let worst = zip(float, int8).map { abs($0 - $1) }.max()!
        #expect(worst < 0.05 * range, "largest difference \(worst) of a logit range \(range)")
    }

    @Test func refusesWhatItCannotRun() throws {
        let noReLU = try Network(architecture: Architecture(layers: [.conv2d(outChannels: 4, kernelSize: 3), .flatten,
                                                                   .linear(outFeatures: 10)]), seed: 1)
        let calibration = Int8Calibration(activationScales: [], source: "none", images: 0, percentile: 1)
        #expect(throws: QuantizationError.self) { try QuantizedNetwork(network: noReLU, calibration: calibration) }
        let (network, _, good) = try Self.network()
        var short = good
        short.activationScales.removeLast()
        #expect(throws: QuantizationError.self) { try QuantizedNetwork(network: network, calibration: short) }
    }

    @Test func calibrationRoundTripsThroughMetadata() throws {
        let (_, _, calibration) = try Self.network()
        let metadata = [Int8Calibration.metadataKey: try calibration.metadataValue()]
        #expect(try Int8Calibration.from(metadata: metadata) == calibration)
        #expect(try Int8Calibration.from(metadata: [:]) == nil)
        #expect(throws: QuantizationError.self) { try Int8Calibration.from(metadata: [Int8Calibration.metadataKey: "{}"]) }
    }
}
