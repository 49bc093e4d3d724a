import Foundation
import ModelFile
import TensorCore
import Training

/// Every model the service can serve: the shipped one (read-only, id `shipped`) and each one
/// a job trained, with which one `/predict` uses.
///
/// Trained models live in `<state-dir>/models/` as `<id>.safetensors` (the model file) and
/// `<id>.json` (the record), the model written first, so a record never points at a missing
/// file. The active choice is `<state-dir>/active-model.json`, replaced atomically on every
/// activation and restored at start.
///
/// Activation loads the file into a fresh network, runs one forward pass to prove it works,
/// persists the choice, and only then swaps the `ModelSlot`: a model that fails to load never
/// replaces the active one.
public final class ModelRegistry: @unchecked Sendable {
    /// The id of the model shipped with the service.
    public static let shippedID = "shipped"

    public let directory: StateDirectory
    public let shippedModelPath: String
    public let slot: ModelSlot
    /// Threads of a loaded network's inference passes (the batcher's setting).
    public let inferenceThreads: Int
    /// fp32, int8 or auto (see `InferencePrecision`) for every model this registry loads to serve.
    public let precision: InferencePrecision
    private let clock: @Sendable () -> Date
    /// Guards `records` and `activeID`; never held while loading a model.
    private let lock = NSLock()
    /// One activation at a time, so the persisted choice and the slot agree.
    private let activationLock = NSLock()
    private var records: [String: ModelRecord] = [:]
    private var activeID = ModelRegistry.shippedID

    public init(directory: StateDirectory, shippedModelPath: String, slot: ModelSlot, inferenceThreads: Int = 1,
                precision: InferencePrecision = .fp32, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.precision = precision
        self.directory = directory
        self.shippedModelPath = shippedModelPath
        self.slot = slot
        self.inferenceThreads = inferenceThreads
        self.clock = clock
    }

    // MARK: - Start

    /// Reads the shipped model's record and every record in the state directory.
    ///
    /// A record that does not parse, whose model file is missing, truncated or corrupt, or a
    /// model file without a record (a registration cut short) is moved to `quarantine/` and
    /// returned as a problem; the service carries on without it.
    /// - Throws: `ModelRegistryError.loadFailed` when the shipped model itself cannot be read
    ///   (a configuration error the service cannot serve without).
    public func load() throws -> [StateProblem] {
        let shipped = try shippedRecord()
        var loaded: [String: ModelRecord] = [Self.shippedID: shipped]
        var problems: [StateProblem] = []
        let decoder = JSONDecoder()
        let modelsDirectory = directory.modelsDirectory
        for name in directory.files(in: modelsDirectory, suffix: ".json") {
            let path = modelsDirectory + "/" + name
            let id = String(name.dropLast(".json".count))
            let modelPath = directory.modelPath(id)
            func setAside(_ reason: String) {
                problems.append(directory.quarantine(path, reason: reason))
                if FileManager.default.fileExists(atPath: modelPath) {
                    problems.append(directory.quarantine(modelPath, reason: "model file of the record set aside: \(reason)"))
                }
            }
            guard id != Self.shippedID else { setAside("the id shipped is reserved for the shipped model"); continue }
            let record: ModelRecord
            do {
                record = try decoder.decode(ModelRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch let error as DecodingError {
                setAside("not a readable model record (\(JobStore.describe(error)))")
                continue
            } catch {
                setAside("cannot be read: \(error.localizedDescription)")
                continue
            }
            guard record.id == id else { setAside("holds model \(record.id), not the model its name says"); continue }
            guard FileManager.default.fileExists(atPath: modelPath) else {
                problems.append(directory.quarantine(path, reason: "its model file \(modelPath) is missing"))
                continue
            }
            do {
                _ = try Self.loadNetwork(path: modelPath, threads: 1)
            } catch {
                problems.append(directory.quarantine(modelPath, reason: "model file does not load: \(error)"))
                problems.append(directory.quarantine(path, reason: "record of a model file that does not load"))
                continue
            }
            var stored = record
            stored.active = false
            stored.readOnly = false
            loaded[id] = stored
        }
        for name in directory.files(in: modelsDirectory, suffix: ".safetensors") {
            let id = String(name.dropLast(".safetensors".count))
            guard loaded[id] == nil, FileManager.default.fileExists(atPath: modelsDirectory + "/" + name) else { continue }
            problems.append(directory.quarantine(modelsDirectory + "/" + name,
                                                 reason: "model file without a record (its registration did not finish)"))
        }
        lock.withLock { records = loaded }
        return problems
    }

    /// The model to serve at start: the persisted choice when it still loads, otherwise the
    /// shipped model, with the reason among the problems. The caller warms it up and swaps
    /// it into the slot.
    /// - Throws: `ModelRegistryError.loadFailed` when even the shipped model does not load.
    public func restoreActiveModel() throws -> (model: LoadedModel, problems: [StateProblem]) {
        var problems: [StateProblem] = []
        let path = directory.activeModelPath
        if FileManager.default.fileExists(atPath: path) {
            do {
                let choice = try JSONDecoder().decode(ActiveModelChoice.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                if choice.id != Self.shippedID {
                    if record(choice.id) == nil {
                        problems.append(StateProblem(path: path, reason: "the active model \(choice.id) is not registered; "
                                                     + "serving the shipped model", quarantinedTo: nil))
                    } else {
                        do {
                            let model = try loadVerified(choice.id)
                            lock.withLock { activeID = choice.id }
                            return (model, problems)
                        } catch {
                            problems.append(StateProblem(path: path, reason: "the active model \(choice.id) does not load "
                                                         + "(\(error)); serving the shipped model", quarantinedTo: nil))
                        }
                    }
                }
            } catch {
                problems.append(directory.quarantine(path, reason: "not a readable active-model choice; serving the shipped model"))
            }
        }
        let shipped = try loadVerified(Self.shippedID)
        lock.withLock { activeID = Self.shippedID }
        return (shipped, problems)
    }

    // MARK: - Queries

    /// The id of the model `/predict` uses.
    public var activeModelID: String { lock.withLock { activeID } }

    /// Every model, newest first, with `active` set.
    public func list() -> [ModelRecord] {
        let (all, active) = lock.withLock { (Array(records.values), activeID) }
        return all.map { record in
            var shown = record
            shown.active = record.id == active
            return shown
        }.sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id > $1.id }
    }

    /// One model with `active` set, or nil.
    public func record(_ id: String) -> ModelRecord? {
        lock.withLock {
            guard var record = records[id] else { return nil }
            record.active = id == activeID
            return record
        }
    }

    // MARK: - Changes

    /// Writes a trained network as `<id>.safetensors`, then its record, and registers it
    /// (inactive).
    /// - Throws: `ModelRegistryError.reservedID` / `.alreadyExists` (the shipped model and
    ///   registered models are never overwritten), or the write's `FileError`.
    public func register(network: Network, metadata: [String: String], id: String, jobID: String?,
                         createdAt: RFC3339Date) throws -> ModelRecord {
        guard id != Self.shippedID else { throw ModelRegistryError.reservedID(id) }
        guard record(id) == nil else { throw ModelRegistryError.alreadyExists(id) }
        let record = ModelRecord(id: id, createdAt: createdAt, architecture: ArchitectureDescription(network.architecture),
                                 metrics: ModelRecord.Metrics(metadata: metadata), jobID: jobID)
        try TrainedModel.write(network, metadata: metadata, to: directory.modelPath(id))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(record)), to: directory.modelRecordPath(id))
        lock.withLock { records[id] = record }
        return record
    }

    /// Makes `id` the model `/predict` uses: load, verify, persist the choice, swap.
    /// - Returns: the model's record (now active).
    /// - Throws: `ModelRegistryError.notFound`, or `.loadFailed` leaving the active model in place.
    @discardableResult
    public func activate(_ id: String) throws -> ModelRecord {
        try activationLock.withLock {
            guard record(id) != nil else { throw ModelRegistryError.notFound(id) }
            let model = try loadVerified(id)
            let choice = ActiveModelChoice(id: id, activatedAt: RFC3339Date(clock()))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do {
                try AtomicFile.write(Array(try encoder.encode(choice)), to: directory.activeModelPath)
            } catch {
                throw ModelRegistryError.persistFailed(id: id, reason: "\(error)")
            }
            lock.withLock { activeID = id }
            slot.swap(to: model)
            return record(id)!
        }
    }

    /// Applies a job's `activate` policy to the model it just registered.
    /// - Returns: whether it is now active, and why (or why not).
    public func apply(_ policy: ActivationPolicy, to id: String) -> (activated: Bool, reason: String) {
        guard let candidate = record(id) else { return (false, "model \(id) is not registered") }
        switch policy {
        case .never:
            return (false, "activate is never")
        case .always:
            break
        case .ifBetter:
            let activeID = activeModelID
            let active = record(activeID)?.metrics.testAccuracy
            guard let accuracy = candidate.metrics.testAccuracy else {
                return (false, "it has no test accuracy to compare")
            }
            if let active, accuracy <= active {
                return (false, "test accuracy \(accuracy) does not beat the active model \(activeID) (\(active))")
            }
        }
        do {
            try activate(id)
            return (true, policy == .always ? "activate is always" : "test accuracy beats the active model's")
        } catch {
            return (false, "activation failed: \(error)")
        }
    }

    // MARK: - Loading

    /// Loads a registered model into a fresh network and proves it works with one forward pass.
    func loadVerified(_ id: String) throws -> LoadedModel {
        let path = id == Self.shippedID ? shippedModelPath : directory.modelPath(id)
        do {
            let (network, metadata) = try Self.loadNetwork(path: path, threads: inferenceThreads)
            let calibration = try Int8Calibration.from(metadata: metadata)
            guard let kernel = try precision.int8Kernel(calibration: calibration), let calibration else {
                return LoadedModel(id: id, network: network, metadata: metadata)
            }
            let quantized = try QuantizedNetwork(network: network, calibration: calibration, instructionSet: kernel,
                                                 threads: inferenceThreads)
            let blank = [Float](repeating: 0, count: network.inputCount)
            guard blank.withUnsafeBufferPointer({ quantized.predict($0.baseAddress!, batch: 1) }).allSatisfy(\.isFinite) else {
                throw ModelRegistryError.unusable(path: path, reason: "its int8 outputs are not finite")
            }
            return LoadedModel(id: id, network: network, metadata: metadata, quantized: quantized)
        } catch {
            throw ModelRegistryError.loadFailed(id: id, reason: "\(error)")
        }
    }

    /// Reads a model file and checks it classifies a 28x28 image into 10 finite scores.
    static func loadNetwork(path: String, threads: Int) throws -> (Network, [String: String]) {
        let (network, metadata) = try TrainedModel.read(from: path, threads: threads)
        guard network.inputCount == 28 * 28, network.classes == 10 else {
            throw ModelRegistryError.unusable(path: path, reason: "it does not map 28x28 images to 10 digits")
        }
        let blank = [Float](repeating: 0, count: network.inputCount)
        guard network.predict(blank, batch: 1).allSatisfy(\.isFinite) else {
            throw ModelRegistryError.unusable(path: path, reason: "its outputs are not finite")
        }
        return (network, metadata)
    }

    private func shippedRecord() throws -> ModelRecord {
        let network: Network, metadata: [String: String]
        do {
            (network, metadata) = try Self.loadNetwork(path: shippedModelPath, threads: 1)
        } catch {
            throw ModelRegistryError.loadFailed(id: Self.shippedID, reason: "\(error)")
        }
        let created = metadata[TrainedModel.createdAtKey].flatMap(RFC3339Date.init(parsing:))
            ?? ((try? FileManager.default.attributesOfItem(atPath: shippedModelPath)[.modificationDate] as? Date)
                .map(RFC3339Date.init) ?? RFC3339Date(milliseconds: 0))
        return ModelRecord(id: Self.shippedID, createdAt: created, architecture: ArchitectureDescription(network.architecture),
                           metrics: ModelRecord.Metrics(metadata: metadata), jobID: nil, readOnly: true)
    }
}

/// `<state-dir>/active-model.json`.
struct ActiveModelChoice: Codable, Equatable {
    var id: String
    var activatedAt: RFC3339Date

    enum CodingKeys: String, CodingKey {
        case id
        case activatedAt = "activated_at"
    }
}

public enum ModelRegistryError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    /// The model file does not load or does not work; the active model stays.
    case loadFailed(id: String, reason: String)
    case unusable(path: String, reason: String)
    /// The choice could not be saved, so the active model was not changed.
    case persistFailed(id: String, reason: String)
    case reservedID(String)
    case alreadyExists(String)

    public var description: String {
        switch self {
        case .notFound(let id): return "no model \(id)"
        case let .loadFailed(id, reason): return "model \(id) does not load: \(reason)"
        case let .unusable(path, reason): return "\(path): not a usable MNIST model: \(reason)"
        case let .persistFailed(id, reason): return "could not record model \(id) as active: \(reason)"
        case .reservedID(let id): return "the id \(id) is reserved for the shipped model"
        case .alreadyExists(let id): return "model \(id) already exists and is never overwritten"
        }
    }
}
