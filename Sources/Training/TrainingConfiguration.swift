import MNISTData
import TensorCore
import Platform

/// Every hyperparameter of a training run. The JSON form (snake_case) is what `POST /train`
/// takes and what a job and a model file record; `mnist-cnn train` fills it from flags.
public struct TrainingConfiguration: Codable, Hashable, Sendable {
    public var epochs: Int = 15
    public var batchSize: Int = 128
    /// The peak learning rate (schedules scale it).
    public var learningRate: Float = 0.003
    public var optimizer: OptimizerKind = .adamw
    public var schedule: LearningRateSchedule = .oneCycle
    public var weightDecay: Float = 0.05
    public var seed: UInt64 = 1
    /// Random affine augmentation (shift, rotation, scale, shear, stroke width).
    public var augment: Bool = true
    public var architecture: Architecture = .mnistBN
    /// The fraction at the end of the training set held out for validation.
    public var validationSplit: Double = 0.1
    /// Use only the first N training images (before the validation split).
    public var limit: Int?
    /// Stop (and keep the best so far) after this long.
    public var maxRuntimeSeconds: Double?
    public var labelSmoothing: Float = 0.05
    /// How weights start: `he` (the default, for ReLU networks) or `glorot`.
    public var initialization: WeightInitialization = .he
    /// Threads for the training passes.
    public var threads: Int = CPUBudget.cores

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, optimizer, schedule, seed, augment, architecture, limit, threads
        case batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case validationSplit = "validation_split", maxRuntimeSeconds = "max_runtime_seconds"
        case labelSmoothing = "label_smoothing"
        case initialization
    }

    /// The augmentation `augment: true` stands for: shifts, rotations, scaling and shear as in
    /// the best published MNIST recipes, plus stroke thickening and thinning, because digits
    /// users draw differ from MNIST's pens more than its writers differ from each other.
    public static let augmentation = Augmentation(maxShift: 2.5, maxRotationDegrees: 12, scaleRange: 0.88...1.12,
                                                  maxShearDegrees: 10, strokeChangeProbability: 0.15)

    /// Checks every field, naming the first bad one.
    public func validate() throws {
        func fail(_ field: String, _ reason: String) -> TrainingError { .invalidField(field, reason) }
        guard (1...1000).contains(epochs) else { throw fail("epochs", "must be an integer in 1...1000") }
        guard (1...4096).contains(batchSize) else { throw fail("batch_size", "must be an integer in 1...4096") }
        guard learningRate.isFinite, learningRate > 0, learningRate <= 10 else {
            throw fail("learning_rate", "must be a number in (0, 10]")
        }
        guard weightDecay.isFinite, weightDecay >= 0, weightDecay <= 1 else { throw fail("weight_decay", "must be in [0, 1]") }
        guard validationSplit >= 0, validationSplit < 1 else { throw fail("validation_split", "must be in [0, 1)") }
        if let limit { guard limit >= 1 else { throw fail("limit", "must be a positive integer") } }
        if let maxRuntimeSeconds {
            guard maxRuntimeSeconds.isFinite, maxRuntimeSeconds > 0 else { throw fail("max_runtime_seconds", "must be positive") }
        }
        guard labelSmoothing >= 0, labelSmoothing < 1 else { throw fail("label_smoothing", "must be in [0, 1)") }
        guard (1...256).contains(threads) else { throw fail("threads", "must be in 1...256") }
        do {
            let shapes = try architecture.shapes()
            guard architecture.input == ImageShape(height: 28, width: 28, channels: 1) else {
                throw fail("architecture", "input must be 1x28x28 for MNIST")
            }
            guard shapes.last!.count == 10 else {
                throw fail("architecture", "must end with 10 outputs (one per digit), not \(shapes.last!.count)")
            }
        } catch let error as ArchitectureError {
            throw fail("architecture", error.description)
        }
    }
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidField(String, String)
    case notEnoughData(String)
    case diverged(epoch: Int, step: Int)
    case checkpointMismatch(String)

    public var description: String {
        switch self {
        case let .invalidField(field, reason): return "\(field): \(reason)"
        case let .notEnoughData(reason): return reason
        case let .diverged(epoch, step): return "training diverged (loss is not finite) at epoch \(epoch), step \(step); lower the learning rate"
        case let .checkpointMismatch(reason): return "checkpoint does not match this job: \(reason)"
        }
    }
}

extension TrainingConfiguration {
    /// Decodes `architecture` given either as a name (`"keras-example"`) or as a layer list.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? optimizer
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? weightDecay
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        augment = try c.decodeIfPresent(Bool.self, forKey: .augment) ?? augment
        if let name = try? c.decodeIfPresent(String.self, forKey: .architecture) {
            architecture = try Architecture.named(name)
        } else if let listed = try c.decodeIfPresent(Architecture.self, forKey: .architecture) {
            architecture = listed
        }
        validationSplit = try c.decodeIfPresent(Double.self, forKey: .validationSplit) ?? validationSplit
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        maxRuntimeSeconds = try c.decodeIfPresent(Double.self, forKey: .maxRuntimeSeconds)
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? labelSmoothing
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        initialization = try c.decodeIfPresent(WeightInitialization.self, forKey: .initialization) ?? initialization
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(seed, forKey: .seed)
        try c.encode(augment, forKey: .augment)
        if let name = architecture.name {
            try c.encode(name, forKey: .architecture)
        } else {
            try c.encode(architecture, forKey: .architecture)
        }
        try c.encode(validationSplit, forKey: .validationSplit)
        try c.encodeIfPresent(limit, forKey: .limit)
        try c.encodeIfPresent(maxRuntimeSeconds, forKey: .maxRuntimeSeconds)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encode(threads, forKey: .threads)
        if initialization != .he { try c.encode(initialization, forKey: .initialization) }
    }
}
