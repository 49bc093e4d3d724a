import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModelFile

/// A training run after its last finished epoch: weights, batch norm state, optimizer moments
/// and history, in the network's internal layouts. Stored as a safetensors file (tensors
/// `parameters`, `state`, `optimizer.first_moment`, `optimizer.second_moment`; the rest as
/// JSON in the metadata), written atomically.
public struct Checkpoint: Equatable {
    public var configuration: TrainingConfiguration
    public var completedEpochs: Int
    public var optimizerStep: Int
    public var parameters: [Float]
    public var state: [Float]
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    public var history: [EpochMetrics]

    public enum Error: Swift.Error, CustomStringConvertible {
        case malformed(path: String, reason: String)
        public var description: String {
            switch self {
            case let .malformed(path, reason): return "\(path): not a usable checkpoint: \(reason)"
            }
        }
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var file = SafeTensorsFile(metadata: [
            "format": "mnist-cnn-checkpoint/1",
            "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
            "completed_epochs": String(completedEpochs),
            "optimizer_step": String(optimizerStep),
            "history": String(decoding: try encoder.encode(history), as: UTF8.self),
        ])
        file["parameters"] = .init(shape: [parameters.count], floats: parameters)
        file["state"] = .init(shape: [state.count], floats: state)
        file["optimizer.first_moment"] = .init(shape: [firstMoment.count], floats: firstMoment)
        file["optimizer.second_moment"] = .init(shape: [secondMoment.count], floats: secondMoment)
        return file.encode()
    }

    public func write(to path: String, fileSystem: FileSystem = .posix) throws {
        try AtomicFile.write(try encoded(), to: path, fileSystem: fileSystem)
    }

    public static func read(from path: String, fileSystem: FileSystem = .posix) throws -> Checkpoint {
        let file = try SafeTensorsFile.read(path: path, fileSystem: fileSystem)
        func fail(_ reason: String) -> Error { .malformed(path: path, reason: reason) }
        guard file.metadata["format"] == "mnist-cnn-checkpoint/1" else { throw fail("format is not mnist-cnn-checkpoint/1") }
        guard let configuration = file.metadata["configuration"],
              let epochs = file.metadata["completed_epochs"].flatMap(Int.init),
              let step = file.metadata["optimizer_step"].flatMap(Int.init),
              let history = file.metadata["history"] else { throw fail("metadata is incomplete") }
        func floats(_ name: String) throws -> [Float] {
            guard let tensor = file[name] else { throw fail("tensor \(name) is missing") }
            return try tensor.floats
        }
        let decoder = JSONDecoder()
        let resolved = try decoder.decode(TrainingConfiguration.self, from: Data(configuration.utf8))
        let epochHistory = try decoder.decode([EpochMetrics].self, from: Data(history.utf8))
        // Checked before any tensor is converted: a file that claims more finished epochs than
        // its run has (or a history that disagrees) would make the epoch range invalid and trap.
        guard epochs >= 1, epochs <= resolved.epochs else {
            throw fail("completed_epochs \(epochs) is outside 1...\(resolved.epochs) (the run's epochs)")
        }
        guard step >= 0 else { throw fail("optimizer_step \(step) is negative") }
        guard epochHistory.count == epochs else {
            throw fail("history has \(epochHistory.count) epochs, completed_epochs says \(epochs)")
        }
        return Checkpoint(
            configuration: resolved,
            completedEpochs: epochs, optimizerStep: step,
            parameters: try floats("parameters"), state: try floats("state"),
            firstMoment: try floats("optimizer.first_moment"), secondMoment: try floats("optimizer.second_moment"),
            history: epochHistory)
    }
}
