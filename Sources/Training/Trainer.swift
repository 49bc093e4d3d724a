import MNISTData
import Platform
import TensorCore

/// What one finished epoch measured.
public struct EpochMetrics: Codable, Hashable, Sendable {
    public var epoch: Int
    public var loss: Float
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var testAccuracy: Double?
    public var seconds: Double
    public var learningRate: Float
    public var imagesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case epoch, loss, seconds
        case trainAccuracy = "train_accuracy", validationAccuracy = "validation_accuracy"
        case testAccuracy = "test_accuracy", learningRate = "learning_rate", imagesPerSecond = "images_per_second"
    }
}

/// Where a run is, reported every few steps.
public struct TrainingProgress: Codable, Hashable, Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    public var fraction: Double
    public var imagesPerSecond: Double
    public var etaSeconds: Double
    /// Mean loss of this epoch so far.
    public var loss: Float

    enum CodingKeys: String, CodingKey {
        case epoch, epochs, step, steps, fraction, loss
        case imagesPerSecond = "images_per_second", etaSeconds = "eta_seconds"
    }
}

/// Why a run ended.
public enum StopReason: String, Codable, Sendable {
    case completed
    case cancelled
    /// `max_runtime_seconds` ran out; the model is what the last finished step left.
    case timeLimit = "time_limit"
}

/// Hooks a caller (the CLI's progress bar, a job in the service) attaches to a run.
public struct TrainingObserver {
    public var progress: (TrainingProgress) -> Void
    /// After each epoch, with a checkpoint to save so a restart can resume here.
    public var epochFinished: (EpochMetrics, Checkpoint) throws -> Void
    /// Polled every step: true stops the run (cancellation).
    public var shouldStop: () -> Bool

    public init(progress: @escaping (TrainingProgress) -> Void = { _ in },
                epochFinished: @escaping (EpochMetrics, Checkpoint) throws -> Void = { _, _ in },
                shouldStop: @escaping () -> Bool = { false }) {
        self.progress = progress
        self.epochFinished = epochFinished
        self.shouldStop = shouldStop
    }
}

public struct TrainingResult {
    public var network: Network
    public var history: [EpochMetrics]
    public var stopReason: StopReason
    public var validation: Evaluation?
    public var test: Evaluation?
    /// int8 calibration measured on the training split after the last epoch (nil when the
    /// architecture has no int8 form), so every trained model can be served in int8.
    public var int8Calibration: Int8Calibration?
}

/// The one training loop, shared by `mnist-cnn train` and the service's jobs.
///
/// Every random choice derives from the seed and the (epoch, step, image) it is for, so a run
/// resumed from an epoch checkpoint continues exactly as the uninterrupted run would have, and
/// the same seed and thread count give bit-identical weights.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let network: Network
    public let optimizer: Optimizer
    let train: MNISTDataset, validation: MNISTDataset?, test: MNISTDataset?
    private(set) var history: [EpochMetrics] = []
    /// The loss of the last step taken (tests pin the first losses of a seeded run).
    public private(set) var lastStepLoss: Float?
    private var completedEpochs = 0

    /// - Parameters:
    ///   - trainingSet: the full training set; `limit` and `validation_split` are applied here.
    ///   - testSet: evaluated after every epoch when given (reported, never used to choose anything).
    ///   - checkpoint: resume from it instead of initializing.
    public init(configuration: TrainingConfiguration, trainingSet: MNISTDataset, testSet: MNISTDataset?,
                resumingFrom checkpoint: Checkpoint? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        var data = trainingSet
        if let limit = configuration.limit, limit < data.count { data = data.subset(0..<limit) }
        if configuration.validationSplit > 0 {
            let (train, validation) = data.split(validationFraction: configuration.validationSplit)
            self.train = train
            self.validation = validation.count > 0 ? validation : nil
        } else {
            train = data
            validation = nil
        }
        guard train.count >= 1 else {
            throw TrainingError.notEnoughData("no training images left after limit and validation_split")
        }
        test = testSet
        network = try Network(architecture: configuration.architecture, seed: configuration.seed,
                              threads: configuration.threads, initialization: configuration.initialization)
        optimizer = Optimizer(settings: OptimizerSettings(kind: configuration.optimizer, weightDecay: configuration.weightDecay),
                              network: network)
        if let checkpoint { try restore(checkpoint) }
    }

    /// Steps per epoch: full batches only (a ragged last batch would give batch norm noisy
    /// statistics), at least one.
    public var stepsPerEpoch: Int { max(1, train.count / configuration.batchSize) }
    var batchSize: Int { min(configuration.batchSize, train.count) }

    private func stepSeed(epoch: Int, step: Int) -> UInt64 {
        var generator = SeededGenerator(seed: configuration.seed, stream: UInt64(epoch) << 32 | UInt64(step))
        return generator.next()
    }

    /// The order of the training images in `epoch` (Fisher–Yates from the seed).
    private func shuffledOrder(epoch: Int) -> [Int] {
        var order = Array(0..<train.count)
        var generator = SeededGenerator(seed: configuration.seed, stream: 0xE90C << 32 | UInt64(epoch))
        order.shuffle(using: &generator)
        return order
    }

    /// Runs the remaining epochs.
    public func run(observer: TrainingObserver = TrainingObserver()) throws -> TrainingResult {
        let start = MonotonicClock.seconds()
        let epochs = configuration.epochs, steps = stepsPerEpoch, batch = batchSize
        let totalSteps = epochs * steps, pixels = train.pixelsPerImage
        let augmentation = configuration.augment ? TrainingConfiguration.augmentation : nil
        var input = [Float](repeating: 0, count: batch * pixels)
        var labels = [UInt8](repeating: 0, count: batch)
        var logitsGradient = [Float](repeating: 0, count: batch * network.classes)
        var stopReason = StopReason.completed
        var imagesSinceStart = 0
        let runStart = MonotonicClock.seconds()

        epochLoop: for epoch in completedEpochs..<epochs {
            let epochStart = MonotonicClock.seconds()
            let order = shuffledOrder(epoch: epoch)
            var lossSum: Double = 0, correct = 0, seen = 0
            var lastReport = epochStart
            var rate: Float = 0
            for step in 0..<steps {
                if observer.shouldStop() { stopReason = .cancelled; break epochLoop }
                if let limit = configuration.maxRuntimeSeconds, MonotonicClock.seconds() - start > limit {
                    stopReason = .timeLimit
                    break epochLoop
                }
                let seed = stepSeed(epoch: epoch, step: step)
                fillBatch(order: order, first: step * batch, count: batch, epoch: epoch,
                          augmentation: augmentation, input: &input, labels: &labels)
                let logits = input.withUnsafeBufferPointer {
                    network.forward($0.baseAddress!, batch: batch, training: true, stepSeed: seed)
                }
                let result = softmaxCrossEntropy(logits: logits.baseAddress!, labels: labels, batch: batch,
                                                 classes: network.classes, logitsGradient: &logitsGradient,
                                                 labelSmoothing: configuration.labelSmoothing)
                guard result.loss.isFinite else { throw TrainingError.diverged(epoch: epoch + 1, step: step + 1) }
                lastStepLoss = result.loss
                network.zeroGradients()
                network.backward(logitsGradient, batch: batch, stepSeed: seed)
                rate = configuration.schedule.rate(peak: configuration.learningRate, step: epoch * steps + step,
                                                   totalSteps: totalSteps)
                optimizer.update(network, learningRate: rate)
                lossSum += Double(result.loss) * Double(batch)
                correct += result.correct
                seen += batch
                imagesSinceStart += batch

                let now = MonotonicClock.seconds()
                if now - lastReport > 0.25 || step == steps - 1 {
                    lastReport = now
                    let done = epoch * steps + step + 1
                    let speed = Double(imagesSinceStart) / max(1e-9, now - runStart)
                    let remaining = Double((totalSteps - done) * batch) / max(1e-9, speed)
                    observer.progress(TrainingProgress(
                        epoch: epoch + 1, epochs: epochs, step: step + 1, steps: steps,
                        fraction: Double(done) / Double(totalSteps), imagesPerSecond: speed, etaSeconds: remaining,
                        loss: Float(lossSum / Double(seen))))
                }
            }
            let trainSeconds = MonotonicClock.seconds() - epochStart
            let validationResult = validation.map { Evaluation.run(network, on: $0) }
            let testResult = test.map { Evaluation.run(network, on: $0) }
            let metrics = EpochMetrics(
                epoch: epoch + 1, loss: Float(lossSum / Double(max(1, seen))),
                trainAccuracy: Double(correct) / Double(max(1, seen)),
                validationAccuracy: validationResult?.accuracy, testAccuracy: testResult?.accuracy,
                seconds: MonotonicClock.seconds() - epochStart, learningRate: rate,
                imagesPerSecond: Double(seen) / max(1e-9, trainSeconds))
            history.append(metrics)
            completedEpochs = epoch + 1
            try observer.epochFinished(metrics, checkpoint())
        }
        return TrainingResult(network: network, history: history, stopReason: stopReason,
                              validation: validation.map { Evaluation.run(network, on: $0) },
                              test: test.map { Evaluation.run(network, on: $0) },
                              int8Calibration: try int8Calibration())
    }

    /// The int8 calibration of the trained network on the training split's first images, or
    /// nil when some layer has no int8 form.
    private func int8Calibration() throws -> Int8Calibration? {
        do {
            return try Int8Quantization.calibrate(network, trainingSet: train)
        } catch is QuantizationError {
            return nil
        }
    }

    /// Fills one batch: images in the epoch's order, augmented (each from its own seeded
    /// stream, so the split across threads does not matter) or plainly scaled to 0...1.
    private func fillBatch(order: [Int], first: Int, count: Int, epoch: Int, augmentation: Augmentation?,
                           input: inout [Float], labels: inout [UInt8]) {
        let pixels = train.pixelsPerImage, rows = train.rows, columns = train.columns
        let seed = configuration.seed
        for b in 0..<count { labels[b] = train.labels[order[(first + b) % order.count]] }
        input.withUnsafeMutableBufferPointer { input in
            let destination = input.baseAddress!
            train.images.withUnsafeBufferPointer { images in
                network.pool.run(partitions: network.pool.threads) { p in
                    for b in ThreadPool.range(of: p, partitions: network.pool.threads, count: count) {
                        let index = order[(first + b) % order.count]
                        let source = images.baseAddress! + index * pixels
                        if let augmentation {
                            var generator = SeededGenerator(seed: seed ^ 0xA067, stream: UInt64(epoch) << 32 | UInt64(index))
                            augmentation.augment(source, into: destination + b * pixels, rows: rows, columns: columns,
                                                 rng: &generator)
                        } else {
                            for i in 0..<pixels { destination[b * pixels + i] = Float(source[i]) * (1 / 255) }
                        }
                    }
                }
            }
        }
    }

    /// Everything needed to continue after the last finished epoch.
    public func checkpoint() -> Checkpoint {
        Checkpoint(configuration: configuration, completedEpochs: completedEpochs, optimizerStep: optimizer.step,
                   parameters: network.parameters.array, state: Array(network.state.buffer),
                   firstMoment: optimizer.firstMoment.array, secondMoment: Array(optimizer.secondMoment.buffer),
                   history: history)
    }

    private func restore(_ checkpoint: Checkpoint) throws {
        guard checkpoint.configuration == configuration else {
            throw TrainingError.checkpointMismatch("its configuration differs")
        }
        guard checkpoint.parameters.count == network.parameterCount, checkpoint.state.count == network.state.count,
              checkpoint.firstMoment.count == optimizer.firstMoment.count,
              checkpoint.secondMoment.count == optimizer.secondMoment.count else {
            throw TrainingError.checkpointMismatch("tensor sizes differ from the architecture")
        }
        network.parameters.pointer.update(from: checkpoint.parameters, count: checkpoint.parameters.count)
        network.state.pointer.update(from: checkpoint.state, count: checkpoint.state.count)
        optimizer.firstMoment.pointer.update(from: checkpoint.firstMoment, count: checkpoint.firstMoment.count)
        optimizer.secondMoment.pointer.update(from: checkpoint.secondMoment, count: checkpoint.secondMoment.count)
        optimizer.restore(step: checkpoint.optimizerStep)
        network.parametersDidChange()
        completedEpochs = checkpoint.completedEpochs
        history = checkpoint.history
    }
}
