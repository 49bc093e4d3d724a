import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModelFile
import Synchronization
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
///
/// The persisted choice is the truth for every process on the state directory: each one calls
/// `followPersistedChoice()` every second or so (`ServiceApp`'s state watcher), which loads
/// and swaps to whatever model the file names, so an activation through any replica moves all
/// of them. Only the queue owner registers models and sets files aside (`load(setAside:)`);
/// the others pick new records up with `refreshRecords()`.
public final class ModelRegistry: Sendable {
    /// The id of the model shipped with the service.
    public static let shippedID = "shipped"

    public let directory: StateDirectory
    public let shippedModelPath: String
    public let slot: ModelSlot
    /// Threads of a loaded network's inference passes (the batcher's setting).
    public let inferenceThreads: Int
    /// fp32, int8 or auto (see `InferencePrecision`) for every model this registry loads to serve.
    public let precision: InferencePrecision
    /// Stamps activations.
    private let time: TimeSource
    private struct State {
        var records: [String: ModelRecord] = [:]
        var activeID = ModelRegistry.shippedID
        /// The persisted choice this process last acted on (nil before the first look).
        var followed: ActiveModelChoice?
    }

    /// Never held while loading a model.
    private let state = Mutex(State())
    /// Held for a whole activation, one at a time, so the persisted choice and the slot agree.
    private let activationLock = Mutex(())
    private let policyDecisionSeam = Mutex<(@Sendable () -> Void)?>(nil)

    /// Runs between `apply`'s decision and its activation: a test seam that lets a race test
    /// put a competing activation exactly in that gap, where it must wait for the lock.
    var afterPolicyDecision: (@Sendable () -> Void)? {
        get { policyDecisionSeam.withLock { $0 } }
        set { policyDecisionSeam.withLock { $0 = newValue } }
    }

    public init(directory: StateDirectory, shippedModelPath: String, slot: ModelSlot, inferenceThreads: Int = 1,
                precision: InferencePrecision = .fp32, time: TimeSource = .system) {
        self.precision = precision
        self.directory = directory
        self.shippedModelPath = shippedModelPath
        self.slot = slot
        self.inferenceThreads = inferenceThreads
        self.time = time
    }

    // MARK: - Start

    /// Reads the shipped model's record and every record in the state directory.
    ///
    /// A record that does not parse, whose model file is missing, truncated or corrupt, or a
    /// model file without a record (a registration cut short) is moved to `quarantine/` and
    /// returned as a problem; the service carries on without it.
    /// - Throws: `ModelRegistryError.loadFailed` when the shipped model itself cannot be read
    ///   (a configuration error the service cannot serve without).
    public func load(setAside: Bool = true) throws -> [StateProblem] {
        let shipped = try shippedRecord()
        var loaded: [String: ModelRecord] = [Self.shippedID: shipped]
        var problems: [StateProblem] = []
        let decoder = JSONDecoder()
        let modelsDirectory = directory.modelsDirectory
        for name in directory.files(in: modelsDirectory, suffix: ".json") {
            let path = modelsDirectory + "/" + name
            let id = String(name.dropLast(".json".count))
            let modelPath = directory.modelPath(id)
            /// Reports `file` unusable and, when this process may, moves it to quarantine.
            func reject(_ file: String, _ reason: String) {
                problems.append(setAside ? directory.quarantine(file, reason: reason)
                                         : StateProblem(path: file, reason: reason, quarantinedTo: nil))
            }
            func rejectRecord(_ reason: String) {
                reject(path, reason)
                if directory.fileExists(modelPath) {
                    reject(modelPath, "model file of the record set aside: \(reason)")
                }
            }
            guard id != Self.shippedID else { rejectRecord("the id shipped is reserved for the shipped model"); continue }
            let record: ModelRecord
            do {
                record = try decoder.decode(ModelRecord.self, from: Data(try directory.read(path)))
            } catch let error as DecodingError {
                rejectRecord("not a readable model record (\(JobStore.describe(error)))")
                continue
            } catch {
                // An I/O failure says nothing about the content: reported, never set aside.
                problems.append(StateProblem(path: path, reason: "could not be read (\(error)); left in place",
                                             quarantinedTo: nil))
                continue
            }
            guard record.id == id else { rejectRecord("holds model \(record.id), not the model its name says"); continue }
            guard directory.fileExists(modelPath) else {
                reject(path, "its model file \(modelPath) is missing")
                continue
            }
            do {
                try Self.checkModelFile(path: modelPath, fileSystem: directory.fileSystem)
            } catch let error as SafeTensorsError {
                guard case .readFailed = error else {
                    reject(modelPath, "model file does not load: \(error)")
                    reject(path, "record of a model file that does not load")
                    continue
                }
                problems.append(StateProblem(path: modelPath, reason: "could not be read (\(error)); left in place",
                                             quarantinedTo: nil))
                continue
            } catch {
                reject(modelPath, "model file does not load: \(error)")
                reject(path, "record of a model file that does not load")
                continue
            }
            var stored = record
            stored.active = false
            stored.readOnly = false
            loaded[id] = stored
        }
        // Another process's registration may be between its two writes: only the owner, whose
        // own registrations are the only ones, may call a model file without a record stale.
        for name in directory.files(in: modelsDirectory, suffix: ".safetensors") where setAside {
            let id = String(name.dropLast(".safetensors".count))
            // A record that is there but could not be read (or was set aside with its model) is not a missing one.
            guard loaded[id] == nil, !directory.fileExists(directory.modelRecordPath(id)),
                  directory.fileExists(modelsDirectory + "/" + name) else { continue }
            problems.append(directory.quarantine(modelsDirectory + "/" + name,
                                                 reason: "model file without a record (its registration did not finish)"))
        }
        state.withLock { $0.records = loaded }
        return problems
    }

    /// Adds the records another process (the queue owner) registered since `load`, without
    /// setting anything aside; a record whose model does not load yet is tried again next time.
    /// - Returns: the ids added.
    @discardableResult
    public func refreshRecords() -> [String] {
        let known = state.withLock { Set($0.records.keys) }
        var added: [String: ModelRecord] = [:]
        for name in directory.files(in: directory.modelsDirectory, suffix: ".json") {
            let id = String(name.dropLast(".json".count))
            guard !known.contains(id), id != Self.shippedID,
                  let data = try? directory.read(directory.modelRecordPath(id)),
                  var record = try? JSONDecoder().decode(ModelRecord.self, from: Data(data)), record.id == id,
                  (try? Self.checkModelFile(path: directory.modelPath(id), fileSystem: directory.fileSystem)) != nil
            else { continue }
            record.active = false
            record.readOnly = false
            added[id] = record
        }
        guard !added.isEmpty else { return [] }
        state.withLock { $0.records.merge(added) { current, _ in current } }
        return Array(added.keys).sorted()
    }

    /// The model to serve at start: the persisted choice when it still loads, otherwise the
    /// shipped model, with the reason among the problems. The caller warms it up and swaps
    /// it into the slot.
    /// - Throws: `ModelRegistryError.loadFailed` when even the shipped model does not load.
    public func restoreActiveModel(setAside: Bool = true) throws -> (model: LoadedModel, problems: [StateProblem]) {
        var problems: [StateProblem] = []
        let path = directory.activeModelPath
        if directory.fileExists(path) {
            do {
                let choice = try JSONDecoder().decode(ActiveModelChoice.self, from: Data(try directory.read(path)))
                if choice.id != Self.shippedID {
                    if record(choice.id) == nil {
                        problems.append(StateProblem(path: path, reason: "the active model \(choice.id) is not registered; "
                                                     + "serving the shipped model", quarantinedTo: nil))
                    } else {
                        do {
                            let model = try loadVerified(choice.id)
                            state.withLock {
                                $0.activeID = choice.id
                                $0.followed = choice
                            }
                            return (model, problems)
                        } catch {
                            problems.append(StateProblem(path: path, reason: "the active model \(choice.id) does not load "
                                                         + "(\(error)); serving the shipped model", quarantinedTo: nil))
                        }
                    }
                }
            } catch is DecodingError {
                let reason = "not a readable active-model choice; serving the shipped model"
                problems.append(setAside ? directory.quarantine(path, reason: reason)
                                         : StateProblem(path: path, reason: reason, quarantinedTo: nil))
            } catch {
                // Not readable now (EIO, EMFILE): the state watcher tries again within a poll.
                problems.append(StateProblem(path: path, reason: "could not be read (\(error)); serving the shipped "
                                             + "model until it can", quarantinedTo: nil))
            }
        }
        let shipped = try loadVerified(Self.shippedID)
        state.withLock { $0.activeID = Self.shippedID }
        return (shipped, problems)
    }

    // MARK: - Queries

    /// The id of the model `/predict` uses.
    public var activeModelID: String { state.withLock { $0.activeID } }

    /// Every model, newest first, with `active` set.
    public func list() -> [ModelRecord] {
        let (all, active) = state.withLock { (Array($0.records.values), $0.activeID) }
        return all.map { record in
            var shown = record
            shown.active = record.id == active
            return shown
        }.sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id > $1.id }
    }

    /// One model with `active` set, or nil.
    public func record(_ id: String) -> ModelRecord? {
        state.withLock { state in
            guard var record = state.records[id] else { return nil }
            record.active = id == state.activeID
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
        try directory.write(try network.stateDict(metadata: metadata).encode(), to: directory.modelPath(id))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try directory.write(Array(try encoder.encode(record)), to: directory.modelRecordPath(id))
        state.withLock { $0.records[id] = record }
        return record
    }

    /// Makes `id` the model `/predict` uses: load, verify, persist the choice, swap.
    /// - Returns: the model's record (now active).
    /// - Throws: `ModelRegistryError.notFound`, or `.loadFailed` leaving the active model in place.
    @discardableResult
    public func activate(_ id: String) throws -> ModelRecord {
        try activationLock.withLock { _ in try activateHoldingLock(id) }
    }

    /// `activate` for a caller that holds `activationLock`.
    @discardableResult
    private func activateHoldingLock(_ id: String) throws -> ModelRecord {
        if record(id) == nil { refreshRecords() }
        guard record(id) != nil else { throw ModelRegistryError.notFound(id) }
        let model = try loadVerified(id)
        let choice = ActiveModelChoice(id: id, activatedAt: RFC3339Date(now: time))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            // Returns once the rename committed: from then on the choice is made, for every replica.
            try directory.write(Array(try encoder.encode(choice)), to: directory.activeModelPath)
        } catch {
            throw ModelRegistryError.persistFailed(id: id, reason: "\(error)")
        }
        state.withLock {
            $0.activeID = id
            $0.followed = choice
        }
        slot.swap(to: model)
        return record(id)!
    }

    /// Applies a job's `activate` policy to the model it just registered. `if_better` is decided
    /// and applied under the activation lock, after catching up with the persisted choice, so
    /// an activation through this or any other replica cannot slip in between the comparison
    /// and the switch.
    /// - Returns: whether it is now active, and why (or why not).
    public func apply(_ policy: ActivationPolicy, to id: String) -> (activated: Bool, reason: String) {
        activationLock.withLock { _ in
            guard let candidate = record(id) else { return (false, "model \(id) is not registered") }
            switch policy {
            case .never:
                return (false, "activate is never")
            case .always:
                break
            case .ifBetter:
                followHoldingLock()
                let activeID = activeModelID
                let active = record(activeID)?.metrics.testAccuracy
                guard let accuracy = candidate.metrics.testAccuracy else {
                    return (false, "it has no test accuracy to compare")
                }
                if let active, accuracy <= active {
                    return (false, "test accuracy \(accuracy) does not beat the active model \(activeID) (\(active))")
                }
            }
            afterPolicyDecision?()
            do {
                try activateHoldingLock(id)
                return (true, policy == .always ? "activate is always" : "test accuracy beats the active model's")
            } catch ModelRegistryError.persistFailed {
                // Shown to anyone in the job: the reason without the path and errno.
                return (false, "activation failed: the choice could not be saved in the state directory")
            } catch {
                return (false, "activation failed: model \(id) does not load")
            }
        }
    }

    /// What `followPersistedChoice` did.
    public enum FollowOutcome: Equatable, Sendable {
        /// The file names the model already served (or is unchanged since the last look).
        case unchanged
        /// Swapped to the model the file names.
        case switched(to: String)
        /// The file names a model this process cannot serve (not registered here, or it does
        /// not load); the one served stays, and the same choice is not tried again.
        case failed(id: String, reason: String)
    }

    /// Makes this process serve the model `active-model.json` names, when that changed: how an
    /// activation through another replica reaches this one. A missing file means the shipped
    /// model. Cheap when nothing changed (one small read).
    @discardableResult
    public func followPersistedChoice() -> FollowOutcome {
        activationLock.withLock { _ in followHoldingLock() }
    }

    @discardableResult
    private func followHoldingLock() -> FollowOutcome {
        let path = directory.activeModelPath
        let choice: ActiveModelChoice
        if directory.fileExists(path) {
            guard let data = try? directory.read(path),
                  let decoded = try? JSONDecoder().decode(ActiveModelChoice.self, from: Data(data)) else {
                return .unchanged  // unreadable now or corrupt (the owner sets that aside): keep serving, look again next poll
            }
            choice = decoded
        } else {
            choice = ActiveModelChoice(id: Self.shippedID, activatedAt: RFC3339Date(milliseconds: 0))
        }
        let (current, last) = state.withLock { ($0.activeID, $0.followed) }
        if choice == last || (last == nil && choice.id == current) {
            state.withLock { $0.followed = choice }
            return .unchanged
        }
        state.withLock { $0.followed = choice }
        if choice.id == current { return .unchanged }
        if record(choice.id) == nil { refreshRecords() }
        guard record(choice.id) != nil else {
            return .failed(id: choice.id, reason: "model \(choice.id) is not registered in \(directory.modelsDirectory)")
        }
        do {
            let model = try loadVerified(choice.id)
            state.withLock { $0.activeID = choice.id }
            slot.swap(to: model)
            return .switched(to: choice.id)
        } catch {
            return .failed(id: choice.id, reason: "\(error)")
        }
    }

    // MARK: - Loading

    /// Loads a registered model into a fresh network and proves it works with one forward pass.
    func loadVerified(_ id: String) throws -> LoadedModel {
        let path = id == Self.shippedID ? shippedModelPath : directory.modelPath(id)
        do {
            let (network, metadata) = try Self.loadNetwork(path: path, threads: inferenceThreads,
                                                           fileSystem: directory.fileSystem)
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

    /// Checks a model file from its header alone (no weights read or network built): a valid
    /// safetensors header that tiles the file, an architecture in its metadata that maps 28x28
    /// images to 10 digits, and no more weights declared than the file holds. What the registry
    /// checks for every model at start; the weights load, and are checked in full, only when a
    /// model is served or compared (`loadVerified`), where a failure leaves the active one.
    static func checkModelFile(path: String, fileSystem: FileSystem = .posix) throws {
        try checkDeclaredSize(try SafeTensorsFile.readHeader(path: path, fileSystem: fileSystem), path: path)
    }

    /// Refuses a file whose metadata describes no usable network, or one with more weights
    /// than the file holds, before anything the size of that network is allocated.
    private static func checkDeclaredSize(_ header: SafeTensorsHeader, path: String) throws {
        guard let json = header.metadata[ModelMetadataKey.architecture] else {
            throw ModelRegistryError.unusable(path: path, reason: "its metadata names no architecture")
        }
        let architecture: Architecture
        let declared: Int
        do {
            architecture = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
            declared = try TrainingFootprint.parameterCount(of: architecture)
        } catch {
            throw ModelRegistryError.unusable(path: path, reason: "its architecture is not usable: \(error)")
        }
        let stored = header.elementCount
        guard declared <= stored else {
            throw ModelRegistryError.unusable(path: path, reason: "its metadata declares a network of \(declared) "
                                              + "weights but the file holds only \(stored) values")
        }
        guard architecture.input.count == 28 * 28, (try? architecture.outputCount()) == 10 else {
            throw ModelRegistryError.unusable(path: path, reason: "it does not map 28x28 images to 10 digits")
        }
    }

    /// Reads a model file and checks it classifies a 28x28 image into 10 finite scores. The
    /// network its metadata describes is sized before it is built: a file whose metadata
    /// declares more weights than it holds is refused without allocating them.
    static func loadNetwork(path: String, threads: Int,
                            fileSystem: FileSystem = .posix) throws -> (Network, [String: String]) {
        let file = try SafeTensorsFile.read(path: path, fileSystem: fileSystem)
        try checkDeclaredSize(SafeTensorsHeader(metadata: file.metadata, shapes: file.tensors.mapValues(\.shape)),
                              path: path)
        let network = try Network.load(from: file, path: path, threads: threads)
        let metadata = file.metadata
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
            ?? (directory.fileSystem.modificationTime(shippedModelPath)
                .map { RFC3339Date(Date(timeIntervalSince1970: $0)) } ?? RFC3339Date(milliseconds: 0))
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
