import Foundation
import MNISTData
import ModelFile
import TensorCore
import Testing
import TestSupport
import Training

/// The accuracy gate of int8 inference on real digits: the shipped model quantized with its
/// recorded calibration scores within 0.05 points of fp32 on the 10,000 MNIST test images and
/// agrees with fp32 on at least 99.9 % of them.
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
struct Int8ShippedModelTests {
    @Test func int8MatchesFloatAccuracyOnTheTestSet() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let file = try SafeTensorsFile.read(path: ShippedModelTests.modelPath)
        let network = try Network.load(from: file, path: ShippedModelTests.modelPath, threads: 2)
        let calibration = try #require(try file.int8Calibration, "the shipped model carries its int8 calibration")
        let quantized = try QuantizedNetwork(network: network, calibration: calibration, threads: 2)
        let test = try MNISTDataset.load(directory: directory, split: .test)
        let comparison = Int8Quantization.compare(network, quantized, on: test)
        #expect(comparison.int8.count == 10_000)
        #expect(comparison.int8.accuracy >= comparison.fp32.accuracy - 0.0005,
                "int8 \(comparison.int8.accuracy) vs fp32 \(comparison.fp32.accuracy)")
        #expect(comparison.agreement >= 0.999, "agreement \(comparison.agreement)")
    }

    /// The recorded calibration is what `mnist-cnn quantize` measures today on the first 1,024
    /// training images (so the file can be reproduced), and it came from training images.
    @Test func recordedCalibrationIsReproducible() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let file = try SafeTensorsFile.read(path: ShippedModelTests.modelPath)
        let network = try Network.load(from: file, path: ShippedModelTests.modelPath, threads: 2)
        let recorded = try #require(try file.int8Calibration)
        #expect(recorded.source == "train[0..<1024]")
        let training = try MNISTDataset.load(directory: directory, split: .train, limit: recorded.images)
        let measured = try Int8Quantization.calibrate(network, trainingSet: training, images: recorded.images,
                                                      percentile: recorded.percentile)
        #expect(measured == recorded)
    }

    /// Every int8 kernel this CPU has gives the same logits on real digits, bit for bit.
    @Test func everyKernelAgreesOnRealDigits() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let file = try SafeTensorsFile.read(path: ShippedModelTests.modelPath)
        let network = try Network.load(from: file, path: ShippedModelTests.modelPath)
        let calibration = try #require(try file.int8Calibration)
        let test = try MNISTDataset.load(directory: directory, split: .test, limit: 100)
        var input = [Float](repeating: 0, count: test.count * test.pixelsPerImage)
        input.withUnsafeMutableBufferPointer { test.writeImages(at: 0..<test.count, into: $0.baseAddress!) }
        var logits: [Int8InstructionSet: [Float]] = [:]
        for isa in Int8InstructionSet.allCases where isa.isSupported {
            let quantized = try QuantizedNetwork(network: network, calibration: calibration, instructionSet: isa)
            logits[isa] = input.withUnsafeBufferPointer { Array(quantized.forward($0.baseAddress!, batch: test.count)) }
        }
        for (isa, values) in logits { #expect(values == logits[.reference], "\(isa)") }
    }
}
