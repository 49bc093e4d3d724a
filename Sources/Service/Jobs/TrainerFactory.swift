import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTData
import Synchronization
import Training

/// What the queue needs of a training run: the shared `Trainer` in the service, a scripted
/// stand-in in tests of the queue's bookkeeping.
public protocol TrainingRun: AnyObject {
    func run(observer: TrainingObserver) throws -> TrainingResult
}

extension Trainer: TrainingRun {}

/// Makes the run for a job: its resolved configuration and, when resuming, its checkpoint.
public typealias TrainerFactory = (_ configuration: TrainingConfiguration, _ checkpoint: Checkpoint?) throws -> any TrainingRun

/// Builds `Trainer`s over the MNIST directory given at start, loading the training and test
/// sets once, the first time a job needs them (a failed load is retried by the next job, so
/// fixing the directory does not need a restart).
public final class MNISTTrainerSource: Sendable {
    public let directory: String?
    /// The sets once loaded; the lock is held while they load, so they load once.
    private let datasets = Mutex<(train: MNISTDataset, test: MNISTDataset)?>(nil)

    /// - Parameter directory: the MNIST directory; nil when training is not configured.
    public init(directory: String?) {
        self.directory = directory
    }

    /// A `TrainerFactory` over this source.
    public var factory: TrainerFactory {
        { [self] configuration, checkpoint in try makeTrainer(configuration: configuration, checkpoint: checkpoint) }
    }

    public func makeTrainer(configuration: TrainingConfiguration, checkpoint: Checkpoint?) throws -> any TrainingRun {
        let (train, test) = try loadDatasets()
        return try Trainer(configuration: configuration, trainingSet: train, testSet: test, resumingFrom: checkpoint)
    }

    private func loadDatasets() throws -> (train: MNISTDataset, test: MNISTDataset) {
        try datasets.withLock { datasets in
            if let datasets { return datasets }
            guard let directory else {
                throw TrainingDataUnavailable(reason: "training data is not configured: start the service with "
                                              + "--mnist-dir (or MNIST_DIR) pointing to the MNIST files")
            }
            do {
                let loaded = (try MNISTDataset.load(directory: directory, split: .train),
                              try MNISTDataset.load(directory: directory, split: .test))
                datasets = loaded
                return loaded
            } catch {
                throw TrainingDataUnavailable(reason: "training data is missing or unreadable: \(error)")
            }
        }
    }
}

/// The job cannot train because its data is not there; the reason says what to fix.
public struct TrainingDataUnavailable: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
