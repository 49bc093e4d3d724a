import Foundation
import MNISTData
import TensorCore
import Testing
import TestSupport
@testable import Training

/// The training loop on real MNIST: it learns, it is reproducible, and it resumes exactly.
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
struct TrainerTests {
    static func data() throws -> (train: MNISTDataset, test: MNISTDataset) {
        let directory = try #require(try TestData.mnistDirectory())
        return (try MNISTDataset.load(directory: directory, split: .train, limit: 2048),
                try MNISTDataset.load(directory: directory, split: .test, limit: 500))
    }

    static func configuration(epochs: Int = 2) -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.architecture = .tiny
        configuration.epochs = epochs
        configuration.batchSize = 64
        configuration.learningRate = 0.01
        configuration.optimizer = .adam
        configuration.schedule = .cosine
        configuration.validationSplit = 0.125
        configuration.threads = 2
        configuration.seed = 7
        return configuration
    }

    /// Losses of every step, through the progress hook's running mean's first steps.
    static func stepLosses(_ configuration: TrainingConfiguration, steps: Int) throws -> [Float] {
        let (train, _) = try data()
        let trainer = try Trainer(configuration: configuration, trainingSet: train, testSet: nil)
        var losses: [Float] = []
        _ = try trainer.run(observer: TrainingObserver(shouldStop: {
            if let last = trainer.lastStepLoss { losses.append(last) }
            return losses.count >= steps
        }))
        return losses
    }

    @Test func trainingLowersTheLossAndLearns() throws {
        let (train, test) = try Self.data()
        let trainer = try Trainer(configuration: Self.configuration(epochs: 3), trainingSet: train, testSet: test)
        let result = try trainer.run()
        #expect(result.stopReason == .completed)
        #expect(result.history.count == 3)
        #expect(result.history[2].loss < result.history[0].loss)
        #expect(result.history[0].loss < 2.0)
        // 1,792 images, three epochs of a 10k-parameter net: far above chance.
        #expect(try #require(result.test).accuracy > 0.8)
        #expect(try #require(result.validation).accuracy > 0.8)
        // Calibrated for int8 on the training split, and the int8 network reads digits as well.
        let calibration = try #require(result.int8Calibration)
        #expect(calibration.source == "train[0..<1024]")
        let metadata = try TrainedModel.metadata(configuration: Self.configuration(epochs: 3), result: result, trainingSeconds: 1)
        #expect(try Int8Calibration.from(metadata: metadata) == calibration)
        let quantized = try QuantizedNetwork(network: result.network, calibration: calibration)
        let comparison = Int8Quantization.compare(result.network, quantized, on: test)
        #expect(comparison.int8.accuracy > 0.8)
        #expect(comparison.agreement > 0.95, "agreement \(comparison.agreement)")
    }

    @Test func aFixedSeedGivesTheSameLossesTwice() throws {
        let first = try Self.stepLosses(Self.configuration(), steps: 8)
        let second = try Self.stepLosses(Self.configuration(), steps: 8)
        #expect(first.count == 8)
        #expect(first == second)
        var other = Self.configuration()
        other.seed = 8
        #expect(try Self.stepLosses(other, steps: 8) != first)
    }

    /// Stop after epoch 1, resume from the checkpoint file, finish: bit-identical weights to an
    /// uninterrupted run, because every random draw derives from (seed, epoch, step, image).
    @Test func resumingFromACheckpointMatchesAnUninterruptedRun() throws {
        let (train, test) = try Self.data()
        let configuration = Self.configuration(epochs: 2)
        let straight = try Trainer(configuration: configuration, trainingSet: train, testSet: test).run()

        let directory = try TemporaryDirectory(prefix: "checkpoint")
        defer { directory.remove() }
        let path = directory.file("job.safetensors")
        let first = try Trainer(configuration: configuration, trainingSet: train, testSet: test)
        var epochsSeen = 0
        _ = try first.run(observer: TrainingObserver(
            epochFinished: { _, checkpoint in
                try checkpoint.write(to: path)
                epochsSeen += 1
            },
            shouldStop: { epochsSeen >= 1 }))
        let checkpoint = try Checkpoint.read(from: path)
        #expect(checkpoint.completedEpochs == 1)
        let resumed = try Trainer(configuration: configuration, trainingSet: train, testSet: test, resumingFrom: checkpoint)
        let result = try resumed.run()
        #expect(result.network.parameters.array == straight.network.parameters.array)
        #expect(result.history.map(\.loss) == straight.history.map(\.loss))
    }

    @Test func aCheckpointFromAnotherConfigurationIsRefused() throws {
        let (train, _) = try Self.data()
        let trainer = try Trainer(configuration: Self.configuration(), trainingSet: train, testSet: nil)
        var other = Self.configuration()
        other.learningRate = 0.5
        #expect(throws: TrainingError.self) {
            _ = try Trainer(configuration: other, trainingSet: train, testSet: nil, resumingFrom: trainer.checkpoint())
        }
    }
}

/// Field validation names the field.
@Suite struct TrainingConfigurationTests {
    @Test(arguments: [
        ("epochs", #"{"epochs": 0}"#), ("batch_size", #"{"batch_size": 100000}"#),
        ("learning_rate", #"{"learning_rate": -1}"#), ("validation_split", #"{"validation_split": 1.5}"#),
        ("weight_decay", #"{"weight_decay": 2}"#), ("limit", #"{"limit": 0}"#),
        ("architecture", #"{"architecture": [{"type": "flatten"}, {"type": "linear", "out_features": 7}]}"#),
    ])
    func invalidFieldsAreNamed(_ field: String, _ json: String) throws {
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
        #expect {
            try configuration.validate()
        } throws: { error in
            guard case let TrainingError.invalidField(name, _) = error else { return false }
            return name == field
        }
    }

    @Test func architectureByNameOrListRoundTrips() throws {
        let named = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"architecture": "keras-example"}"#.utf8))
        #expect(named.architecture == .kerasExample)
        let listed = try JSONDecoder().decode(
            TrainingConfiguration.self,
            from: Data(#"{"architecture": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#.utf8))
        #expect(listed.architecture.layers == [.flatten, .linear(outFeatures: 10)])
        let again = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(listed))
        #expect(again == listed)
        #expect(throws: ArchitectureError.self) {
            _ = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"architecture": "resnet-152"}"#.utf8))
        }
    }

    /// An input too large to count in an `Int` after flattening is refused, not trapped on.
    @Test func hugeInputShapesAreRefused() {
        for input in [ImageShape(height: 330_005_239, width: 5_818_031_981, channels: 94),
                      ImageShape(height: 28, width: 28, channels: 4097)] {
            #expect(throws: ArchitectureError.self) {
                _ = try Architecture(input: input, layers: [.flatten, .linear(outFeatures: 10)]).shapes()
            }
        }
        #expect((try? Architecture(input: ImageShape(height: 4096, width: 4096, channels: 4096),
                                   layers: [.flatten]).shapes()) != nil)
    }

    @Test func schedulesStartWarmPeakAndEndLow() {
        for schedule in LearningRateSchedule.allCases {
            let end = schedule.rate(peak: 1, step: 1000, totalSteps: 1000)
            #expect(end <= 1)
            if schedule != .constant { #expect(end < 0.05, "\(schedule) ends at \(end)") }
        }
        #expect(LearningRateSchedule.oneCycle.rate(peak: 1, step: 0, totalSteps: 1000) < 0.05)
        #expect(isClose(LearningRateSchedule.oneCycle.rate(peak: 1, step: 250, totalSteps: 1000), 1, absolute: 1e-3))
    }
}
