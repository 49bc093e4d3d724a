import Foundation
import MNISTData
import ModelFile
import TensorCore
import Testing
import TestSupport
import Training

/// The model in models/ is the product: it loads, says how it was made, and scores at least
/// 99.5 % on all 10,000 MNIST test images.
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
struct ShippedModelTests {
    static var modelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/mnist-cnn.safetensors").path
    }

    @Test func scoresAtLeast99Point5PercentOnTheFullTestSet() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let (network, metadata) = try TrainedModel.read(from: Self.modelPath, threads: 2)
        let test = try MNISTDataset.load(directory: directory, split: .test)
        #expect(test.count == 10_000)
        let result = Evaluation.run(network, on: test)
        #expect(result.accuracy >= 0.995, "accuracy \(result.accuracy)")
        // The card's figure is the one this file produces.
        let recorded = try #require(metadata[TrainedModel.testAccuracyKey].flatMap(Double.init))
        #expect(abs(recorded - result.accuracy) < 1e-9)
        #expect(result.confusion.map { $0.reduce(0, +) } == (0..<10).map { digit in test.labels.filter { $0 == digit }.count })
    }

    @Test func recordsItsArchitectureAndRecipe() throws {
        let file = try SafeTensorsFile.read(path: Self.modelPath)
        #expect(file.metadata[ModelMetadataKey.architectureName] == "mnist-bn")
        let training = try #require(file.metadata[TrainedModel.trainingKey])
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(training.utf8))
        #expect(configuration.architecture == .mnistBN)
        #expect(configuration.limit == nil)
        #expect(configuration.validationSplit > 0, "the recipe must hold out validation data, not tune on the test set")
        #expect(file.metadata[ModelMetadataKey.pytorch]?.hasPrefix("nn.Sequential(") == true)
    }
}
