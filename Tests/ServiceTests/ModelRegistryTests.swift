import Foundation
import MNISTData
import ModelFile
import TensorCore
import Testing
import TestSupport
import Training
@testable import Service

/// Model files, state directories and synthetic data shared by the jobs and registry tests.
enum JobsFixtures {
    /// A state directory with its subdirectories, and a shipped model beside it whose
    /// `test_accuracy` is `shippedAccuracy`.
    static func stateDirectory(shippedAccuracy: Double = 0.5) throws -> (TemporaryDirectory, StateDirectory, String) {
        let temporary = try TemporaryDirectory(prefix: "mnist-cnn-jobs")
        let state = StateDirectory(root: temporary.file("var"))
        try state.createDirectories()
        let shipped = temporary.file("shipped.safetensors")
        try writeModel(to: shipped, seed: 7, testAccuracy: shippedAccuracy)
        return (temporary, state, shipped)
    }

    /// Writes a tiny network as a model file with a `test_accuracy` in its metadata.
    static func writeModel(to path: String, seed: UInt64, testAccuracy: Double) throws {
        let network = try Network(architecture: .tiny, seed: seed)
        try TrainedModel.write(network, metadata: [TrainedModel.testAccuracyKey: String(testAccuracy)], to: path)
    }

    static func registry(_ state: StateDirectory, shipped: String, slot: ModelSlot = ModelSlot()) throws -> ModelRegistry {
        let registry = ModelRegistry(directory: state, shippedModelPath: shipped, slot: slot)
        #expect(try registry.load().isEmpty)
        let (model, problems) = try registry.restoreActiveModel()
        #expect(problems.isEmpty)
        slot.swap(to: model)
        return registry
    }

    /// Registers a tiny model scoring `testAccuracy`.
    @discardableResult
    static func register(_ id: String, in registry: ModelRegistry, testAccuracy: Double,
                         createdAt: Int64 = 1_000) throws -> ModelRecord {
        let network = try Network(architecture: .tiny, seed: 3)
        return try registry.register(network: network, metadata: [TrainedModel.testAccuracyKey: String(testAccuracy)],
                                     id: id, jobID: "job-\(id)", createdAt: RFC3339Date(milliseconds: createdAt))
    }

    /// 64 random 28x28 images labelled 0...9 in turn: enough for a training step in microseconds.
    static let syntheticSet: MNISTDataset = {
        var generator = SplitMix64(seed: 42)
        let images = (0..<(64 * 784)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return MNISTDataset(rows: 28, columns: 28, images: images, labels: (0..<64).map { UInt8($0 % 10) })
    }()

    /// A configuration that trains on `syntheticSet` in a few milliseconds per epoch.
    static func quickConfiguration(epochs: Int = 1, seed: UInt64 = 1) -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.architecture = .tiny
        configuration.epochs = epochs
        configuration.batchSize = 16
        configuration.augment = false
        configuration.validationSplit = 0
        configuration.threads = 1
        configuration.seed = seed
        return configuration
    }
}

@Suite struct ModelRegistryTests {
    /// The shipped model is always listed, read-only, active by default, with the test
    /// accuracy its metadata records.
    @Test func shippedModelIsAlwaysPresent() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory(shippedAccuracy: 0.987)
        defer { temporary.remove() }
        let slot = ModelSlot()
        let registry = try JobsFixtures.registry(state, shipped: shipped, slot: slot)
        let records = registry.list()
        #expect(records.map(\.id) == ["shipped"])
        #expect(records[0].readOnly && records[0].active && records[0].jobID == nil)
        #expect(records[0].metrics.testAccuracy == 0.987)
        #expect(registry.activeModelID == "shipped")
        #expect(slot.current?.id == "shipped")
    }

    /// Activation swaps the slot and persists the choice; a new registry restores it.
    @Test func activationSurvivesARestart() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let slot = ModelSlot()
        let registry = try JobsFixtures.registry(state, shipped: shipped, slot: slot)
        try JobsFixtures.register("model-a", in: registry, testAccuracy: 0.9)
        #expect(registry.record("model-a")?.active == false)
        let record = try registry.activate("model-a")
        #expect(record.active && record.jobID == "job-model-a")
        #expect(slot.current?.id == "model-a")
        #expect(registry.list().filter(\.active).map(\.id) == ["model-a"])

        let restarted = ModelRegistry(directory: state, shippedModelPath: shipped, slot: ModelSlot())
        #expect(try restarted.load().isEmpty)
        let (model, problems) = try restarted.restoreActiveModel()
        #expect(problems.isEmpty)
        #expect(model.id == "model-a" && restarted.activeModelID == "model-a")
        #expect(restarted.record("model-a")?.metrics.testAccuracy == 0.9)
    }

    /// A model file that no longer loads is refused and the active model stays in place.
    @Test func failedActivationKeepsTheActiveModel() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let slot = ModelSlot()
        let registry = try JobsFixtures.registry(state, shipped: shipped, slot: slot)
        try JobsFixtures.register("model-b", in: registry, testAccuracy: 0.9)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: state.modelPath("model-b"))))
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: state.modelPath("model-b")))

        #expect(throws: ModelRegistryError.self) { try registry.activate("model-b") }
        #expect(slot.current?.id == "shipped" && registry.activeModelID == "shipped")
        #expect(!FileManager.default.fileExists(atPath: state.activeModelPath))
        #expect(throws: ModelRegistryError.notFound("nope")) { try registry.activate("nope") }
    }

    /// A truncated model file found at start is reported and set aside with its record; the
    /// rest of the registry loads.
    @Test func truncatedModelFileIsQuarantined() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-good", in: registry, testAccuracy: 0.8)
        try JobsFixtures.register("model-cut", in: registry, testAccuracy: 0.8)
        let cut = state.modelPath("model-cut")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: cut)))
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: cut))
        // A model file whose registration never finished (no record).
        try JobsFixtures.writeModel(to: state.modelPath("model-orphan"), seed: 2, testAccuracy: 0.1)
        // A record that is not JSON.
        try Data("{\"id\": \"model-x\", ".utf8).write(to: URL(fileURLWithPath: state.modelRecordPath("model-x")))

        let restarted = ModelRegistry(directory: state, shippedModelPath: shipped, slot: ModelSlot())
        let problems = try restarted.load()
        #expect(Set(restarted.list().map(\.id)) == ["shipped", "model-good"])
        let reported = Set(problems.map(\.path))
        #expect(reported == [cut, state.modelRecordPath("model-cut"), state.modelPath("model-orphan"),
                             state.modelRecordPath("model-x")])
        #expect(problems.allSatisfy { $0.quarantinedTo.map(FileManager.default.fileExists(atPath:)) == true })
        #expect(!FileManager.default.fileExists(atPath: cut))
        #expect(problems.first { $0.path == cut }?.reason.contains("does not load") == true)
    }

    /// A model file whose metadata declares a network far larger than the weights it holds
    /// (here 2 x 10^11 of them, 800 GB as floats) is set aside from its description alone:
    /// building that network first would take the process down.
    @Test func oversizedDeclaredNetworkIsRefusedBeforeAllocating() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-huge", in: registry, testAccuracy: 0.8)
        let path = state.modelPath("model-huge")
        var file = try SafeTensorsFile.read(path: path)
        let huge = Architecture(layers: [.conv2d(outChannels: 4096, kernelSize: 3, stride: 1, padding: 1), .flatten,
                                         .linear(outFeatures: 65536)])
        file.metadata[ModelMetadataKey.architecture] = String(decoding: try JSONEncoder().encode(huge), as: UTF8.self)
        try file.write(path: path)

        let restarted = ModelRegistry(directory: state, shippedModelPath: shipped, slot: ModelSlot())
        let problems = try restarted.load()
        #expect(restarted.record("model-huge") == nil)
        let reason = problems.first { $0.path == path }?.reason ?? ""
        #expect(reason.contains("declares a network of 210453"), "\(problems)")
    }

    /// At start the registry reads each model's header only: a model whose weights are not
    /// finite (a header that is fine) is listed without being built, and only activating it,
    /// which loads and checks it in full, finds it unusable and leaves the active model serving.
    @Test func startReadsHeadersOnlyAndActivationChecksWeights() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-nan", in: registry, testAccuracy: 0.9)
        let path = state.modelPath("model-nan")
        var file = try SafeTensorsFile.read(path: path)
        let name = try #require(file.names.first)
        let tensor = try #require(file[name])
        file[name] = SafeTensors.Tensor(shape: tensor.shape, floats: [Float](repeating: .nan, count: tensor.elementCount))
        try file.write(path: path)

        let slot = ModelSlot()
        let restarted = ModelRegistry(directory: state, shippedModelPath: shipped, slot: slot)
        #expect(try restarted.load().isEmpty)
        #expect(restarted.record("model-nan") != nil)
        slot.swap(to: try restarted.restoreActiveModel().model)
        #expect(throws: ModelRegistryError.self) { try restarted.activate("model-nan") }
        #expect(slot.current?.id == "shipped" && restarted.activeModelID == "shipped")
    }

    /// A persisted choice whose model is gone falls back to the shipped model, with the reason.
    @Test func missingActiveModelFallsBackToShipped() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        try Data(#"{"id":"model-gone","activated_at":"2026-11-25T10:00:00.000Z"}"#.utf8)
            .write(to: URL(fileURLWithPath: state.activeModelPath))
        let registry = ModelRegistry(directory: state, shippedModelPath: shipped, slot: ModelSlot())
        #expect(try registry.load().isEmpty)
        let (model, problems) = try registry.restoreActiveModel()
        #expect(model.id == "shipped")
        #expect(problems.count == 1 && problems[0].reason.contains("model-gone"))
    }

    /// The shipped model's id cannot be taken and no registered model is overwritten.
    @Test func shippedAndExistingModelsAreNeverOverwritten() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        #expect(throws: ModelRegistryError.reservedID("shipped")) {
            try JobsFixtures.register("shipped", in: registry, testAccuracy: 1)
        }
        try JobsFixtures.register("model-c", in: registry, testAccuracy: 0.5)
        #expect(throws: ModelRegistryError.alreadyExists("model-c")) {
            try JobsFixtures.register("model-c", in: registry, testAccuracy: 0.9)
        }
        #expect(registry.record("model-c")?.metrics.testAccuracy == 0.5)
    }

    /// `never` registers only, `if_better` compares test accuracy with the active model's,
    /// `always` activates.
    @Test func activationPolicies() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory(shippedAccuracy: 0.9)
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-worse", in: registry, testAccuracy: 0.8)
        try JobsFixtures.register("model-better", in: registry, testAccuracy: 0.95)

        #expect(registry.apply(.never, to: "model-better").activated == false)
        let worse = registry.apply(.ifBetter, to: "model-worse")
        #expect(!worse.activated && worse.reason.contains("does not beat"))
        #expect(registry.activeModelID == "shipped")
        #expect(registry.apply(.ifBetter, to: "model-better").activated)
        #expect(registry.activeModelID == "model-better")
        #expect(registry.apply(.always, to: "model-worse").activated)
        #expect(registry.activeModelID == "model-worse")
    }
}
