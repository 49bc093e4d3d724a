import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModelFile
import TensorCore

/// Writes a trained network as the project's model file: the PyTorch-compatible state dict,
/// with how it was trained and how it scored in `__metadata__`.
public enum TrainedModel {
    public static let trainingKey = "training"
    public static let testAccuracyKey = "test_accuracy"
    public static let validationAccuracyKey = "validation_accuracy"
    public static let historyKey = "history"
    public static let createdAtKey = "created_at"

    public static func metadata(configuration: TrainingConfiguration, result: TrainingResult,
                                trainingSeconds: Double, createdAt: Date = Date()) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata: [String: String] = [
            trainingKey: String(decoding: try encoder.encode(configuration), as: UTF8.self),
            historyKey: String(decoding: try encoder.encode(result.history), as: UTF8.self),
            createdAtKey: Date.ISO8601FormatStyle().format(createdAt),
            "training_seconds": String(cFormat: "%.1f", trainingSeconds),
            "stop_reason": result.stopReason.rawValue,
            "instruction_set": result.network.gemm.instructionSet.rawValue,
        ]
        if let test = result.test {
            metadata[testAccuracyKey] = String(test.accuracy)
            metadata["test_confusion"] = String(decoding: try encoder.encode(test.confusion), as: UTF8.self)
        }
        if let validation = result.validation { metadata[validationAccuracyKey] = String(validation.accuracy) }
        if let calibration = result.int8Calibration { metadata[Int8Calibration.metadataKey] = try calibration.metadataValue() }
        return metadata
    }

    /// Writes `network` with `metadata` to `path` atomically.
    public static func write(_ network: Network, metadata: [String: String], to path: String) throws {
        try AtomicFile.write(try network.stateDict(metadata: metadata).encode(), to: path)
    }

    /// Reads a model file into a network.
    public static func read(from path: String, threads: Int = 1) throws -> (network: Network, metadata: [String: String]) {
        let file = try SafeTensorsFile.read(path: path)
        return (try Network.load(from: file, path: path, threads: threads), file.metadata)
    }
}
