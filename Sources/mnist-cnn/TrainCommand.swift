import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MNISTData
import TensorCore
import Training
import Platform

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on MNIST and write the model file.",
        discussion: """
            Holds out the last --validation-split of the training set for validation and reports \
            test accuracy after each epoch (never used to choose anything). With --checkpoint, the \
            run saves its state after every epoch and resumes from that file if it exists. The \
            same command, seed and --threads give bit-identical weights.
            """)

    @Option(help: "Directory with the four MNIST IDX files, gzipped or not (env MNIST_DIR).")
    var mnistDir: String?

    @Option(help: "Where to write the model (safetensors).")
    var out = "models/mnist-cnn.safetensors"

    @Option(help: "Architecture: a name (mnist-bn, keras-example, tiny) or a JSON layer-list file.")
    var arch = "mnist-bn"

    @Option(help: "Passes over the training set.") var epochs = 15
    @Option(help: "Images per step.") var batchSize = 128
    @Option(help: "Peak learning rate.") var learningRate: Float = 0.003
    @Option(help: "adam, adamw or sgd.") var optimizer = "adamw"
    @Option(help: "constant, step, cosine or one_cycle.") var schedule = "one_cycle"
    @Option(help: "Weight decay (decoupled for adamw).") var weightDecay: Float = 0.05
    @Option(help: "Label smoothing.") var labelSmoothing: Float = 0.05
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Weight initialization: he or glorot.") var initialization = "he"
    @Flag(inversion: .prefixedNo, help: "Random affine and stroke augmentation.") var augment = true
    @Option(help: "Fraction of the training set held out for validation.") var validationSplit = 0.1
    @Option(help: "Use only the first N training images.") var limit: Int?
    @Option(help: "Stop after this many seconds.") var maxRuntimeSeconds: Double?
    @Option(help: "Threads (default: all cores).") var threads: Int = CPUBudget.cores
    @Option(help: "Checkpoint file: written after every epoch, resumed from if present.") var checkpoint: String?
    @Flag(help: "Print one JSON object per epoch and a final summary instead of text.") var json = false

    func configurationFromFlags() throws -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.architecture = try ArchitectureOption.resolve(arch)
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.learningRate = learningRate
        guard let optimizerKind = OptimizerKind(rawValue: optimizer) else {
            throw CommandFailure("--optimizer must be one of adam, adamw, sgd (got '\(optimizer)')")
        }
        configuration.optimizer = optimizerKind
        guard let scheduleKind = LearningRateSchedule(rawValue: schedule) else {
            throw CommandFailure("--schedule must be one of constant, step, cosine, one_cycle (got '\(schedule)')")
        }
        configuration.schedule = scheduleKind
        configuration.weightDecay = weightDecay
        configuration.labelSmoothing = labelSmoothing
        configuration.seed = seed
        guard let scheme = WeightInitialization(rawValue: initialization) else {
            throw CommandFailure("--initialization must be he or glorot (got '\(initialization)')")
        }
        configuration.initialization = scheme
        configuration.augment = augment
        configuration.validationSplit = validationSplit
        configuration.limit = limit
        configuration.maxRuntimeSeconds = maxRuntimeSeconds
        configuration.threads = threads
        try configuration.validate()
        return configuration
    }

    func run() throws {
        try reportingErrors {
            let configuration = try configurationFromFlags()
            let directory = mnistDir ?? Environment.mnistDirectory
            let trainSet = try MNISTDataset.load(directory: directory, split: .train)
            let testSet = try MNISTDataset.load(directory: directory, split: .test)
            var resume: Checkpoint?
            if let checkpoint, FileManager.default.fileExists(atPath: checkpoint) {
                resume = try Checkpoint.read(from: checkpoint)
            }
            let trainer = try Trainer(configuration: configuration, trainingSet: trainSet, testSet: testSet,
                                      resumingFrom: resume)
            let progress = ProgressReporter(json: json)
            if !json {
                print("training \(configuration.architecture.name ?? "custom") (\(trainer.network.parameterCount) parameters, "
                      + "\(trainer.network.multiplyAdds) multiply-adds per image) on \(directory), "
                      + "\(trainer.stepsPerEpoch) steps of \(configuration.batchSize) per epoch, "
                      + "\(configuration.threads) threads, kernel \(trainer.network.gemm.instructionSet.rawValue)")
                if let resume { print("resuming after epoch \(resume.completedEpochs) from \(checkpoint!)") }
            }
            let start = Date()
            let observer = TrainingObserver(
                progress: { progress.update($0) },
                epochFinished: { metrics, state in
                    progress.epochFinished(metrics)
                    if let checkpoint { try state.write(to: checkpoint) }
                })
            let result = try trainer.run(observer: observer)
            let seconds = Date().timeIntervalSince(start)
            let metadata = try TrainedModel.metadata(configuration: configuration, result: result, trainingSeconds: seconds)
            try TrainedModel.write(result.network, metadata: metadata, to: out)
            let accuracy = result.test?.accuracy ?? 0
            if json {
                struct Summary: Encodable {
                    let model: String, test_accuracy: Double, validation_accuracy: Double?, seconds: Double
                    let stop_reason: String, confusion: [[Int]]?
                }
                print(try jsonLine(Summary(model: out, test_accuracy: accuracy, validation_accuracy: result.validation?.accuracy,
                                           seconds: seconds, stop_reason: result.stopReason.rawValue,
                                           confusion: result.test?.confusion)))
            } else {
                print("wrote \(out): test accuracy \(String(cFormat: "%.2f", accuracy * 100)) % "
                      + "(\(result.test?.correct ?? 0)/\(result.test?.count ?? 0)) after \(String(cFormat: "%.0f", seconds)) s"
                      + (result.stopReason == .completed ? "" : " (stopped: \(result.stopReason.rawValue))"))
            }
        }
    }
}

/// A progress bar with images/s and ETA on a terminal; plain lines (or JSON) otherwise.
final class ProgressReporter {
    let json: Bool
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlain = Date.distantPast

    init(json: Bool) { self.json = json }

    func update(_ p: TrainingProgress) {
        if isTerminal && !json {
            let width = 30, filled = Int(Double(width) * Double(p.step) / Double(max(1, p.steps)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\r epoch \(p.epoch)/\(p.epochs) \(bar) \(p.step)/\(p.steps)  loss \(String(cFormat: "%.4f", p.loss))"
                + "  \(String(cFormat: "%.0f", p.imagesPerSecond)) img/s  ETA \(formatDuration(p.etaSeconds))  "
            StandardError.write(line)
        } else if !json, Date().timeIntervalSince(lastPlain) >= 10 {
            lastPlain = Date()
            StandardError.write("epoch \(p.epoch)/\(p.epochs) step \(p.step)/\(p.steps) "
                + "loss \(String(cFormat: "%.4f", p.loss)) \(String(cFormat: "%.0f", p.imagesPerSecond)) img/s "
                + "eta \(formatDuration(p.etaSeconds))\n")
        }
    }

    func epochFinished(_ m: EpochMetrics) {
        if json {
            if let line = try? jsonLine(m) { print(line) }
            return
        }
        if isTerminal { StandardError.write("\r\u{1B}[K") }
        func percent(_ value: Double?) -> String { value.map { String(cFormat: "%.2f %%", $0 * 100) } ?? "-" }
        print("epoch \(m.epoch): loss \(String(cFormat: "%.4f", m.loss))  train \(percent(m.trainAccuracy))  "
              + "validation \(percent(m.validationAccuracy))  test \(percent(m.testAccuracy))  "
              + "\(String(cFormat: "%.0f", m.imagesPerSecond)) img/s  \(String(cFormat: "%.1f", m.seconds)) s  "
              + "lr \(String(cFormat: "%.2e", m.learningRate))")
        fflush(nil)  // all output streams: `stdout` itself is a C global Swift 6 will not read unsynchronized
    }
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(cFormat: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(cFormat: "%d:%02d", s / 60, s % 60)
}
