#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore
import Training

/// A model the service knows, as `GET /models/{id}` shows it and `<state-dir>/models/<id>.json`
/// stores it (`active` is filled in when shown; on disk the choice lives in `active-model.json`).
public struct ModelRecord: Codable, Hashable, Sendable {
    /// What the model scored (`metrics`).
    public struct Metrics: Codable, Hashable, Sendable {
        public var testAccuracy: Double?
        public var validationAccuracy: Double?
        /// Per finished epoch, when the model was trained here (or its file recorded it).
        public var history: [EpochMetrics]?

        public init(testAccuracy: Double?, validationAccuracy: Double?, history: [EpochMetrics]?) {
            self.testAccuracy = testAccuracy
            self.validationAccuracy = validationAccuracy
            self.history = history
        }

        enum CodingKeys: String, CodingKey {
            case history
            case testAccuracy = "test_accuracy", validationAccuracy = "validation_accuracy"
        }

        /// Read from a model file's `__metadata__` (`TrainedModel`'s keys).
        public init(metadata: [String: String]) {
            testAccuracy = metadata[TrainedModel.testAccuracyKey].flatMap(Double.init)
            validationAccuracy = metadata[TrainedModel.validationAccuracyKey].flatMap(Double.init)
            history = metadata[TrainedModel.historyKey].flatMap {
                try? JSONDecoder().decode([EpochMetrics].self, from: Data($0.utf8))
            }
        }
    }

    public var id: String
    public var createdAt: RFC3339Date
    public var architecture: ArchitectureDescription
    public var metrics: Metrics
    /// The job that trained it; nil for the shipped model.
    public var jobID: String?
    public var active: Bool
    /// True for the shipped model: it cannot be deleted or overwritten.
    public var readOnly: Bool

    public init(id: String, createdAt: RFC3339Date, architecture: ArchitectureDescription, metrics: Metrics,
                jobID: String?, active: Bool = false, readOnly: Bool = false) {
        self.id = id
        self.createdAt = createdAt
        self.architecture = architecture
        self.metrics = metrics
        self.jobID = jobID
        self.active = active
        self.readOnly = readOnly
    }

    enum CodingKeys: String, CodingKey {
        case id, architecture, metrics, active
        case createdAt = "created_at", jobID = "job_id", readOnly = "read_only"
    }
}

/// An architecture as the API shows it: its name when it has one (`"keras-example"`), else
/// the layer list.
public struct ArchitectureDescription: Codable, Hashable, Sendable {
    public var architecture: Architecture

    public init(_ architecture: Architecture) { self.architecture = architecture }

    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            architecture = try Architecture.named(name)
        } else {
            architecture = try Architecture(from: decoder)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let name = architecture.name {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        } else {
            try architecture.encode(to: encoder)
        }
    }
}
