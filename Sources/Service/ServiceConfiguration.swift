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
import HTTP1
import Imaging
import Logging
import Platform
import TensorCore

/// Every setting of `mnist-cnn serve`. The command fills it from flags and environment
/// variables; `validate()` checks what can be checked before binding the port, with messages
/// that say what to do.
public struct ServiceConfiguration: Sendable {
    /// The address to listen on, kept in one place: the HTTP server's configuration (`http`).
    public var host: String {
        get { http.host }
        set { http.host = newValue }
    }
    /// The port to listen on (0: any free port), kept in `http` like `host`.
    public var port: Int {
        get { http.port }
        set { http.port = newValue }
    }
    public var modelPath = "models/mnist-cnn.safetensors"
    public var stateDirectory = "var"
    /// Training data for `/train` jobs; nil disables training.
    public var mnistDirectory: String?
    /// The admin token; nil to use (or at first start generate) `<state-dir>/admin-token`.
    public var adminToken: String?
    public var batching = InferenceBatcher.Settings()
    /// Images one `/predict` request may carry.
    public var maxImagesPerRequest = 256
    /// The largest `POST /predict` body read; larger declared bodies get 413 before any byte
    /// is buffered.
    public var maxPredictBodyBytes = ServiceConfiguration.defaultMaxPredictBodyBytes
    /// The largest `POST /train` body read.
    public var maxTrainBodyBytes = ServiceConfiguration.defaultMaxTrainBodyBytes
    /// 256 images of about 24 KiB each as base64 JSON: a batch at the image limit of
    /// reasonably sized PNGs (a 28x28 digit is under 1 KiB, a 280x280 canvas drawing ~10 KiB).
    public static let defaultMaxPredictBodyBytes = 8 << 20
    /// A JSON training request is a few hundred bytes; a layer list a few KiB.
    public static let defaultMaxTrainBodyBytes = 64 << 10
    public var decodeLimits = DecodeLimits.default
    /// Pixels all the images of one `/predict` request may declare together (four images at
    /// the per-image limit of 4096x4096): bounds the decoding time one request can take.
    public var maxPixelsPerRequest = 64 << 20
    /// Bytes request work may hold at once (bodies, decoded images, batches, the inference
    /// queue); nil derives it from the cgroup memory limit (`MemoryBudgetSizing`).
    public var memoryBudgetBytes: Int?
    /// One event loop per CPU of the process's budget (its cgroup quota, not the machine's cores).
    public var http = HTTPServerConfiguration(eventLoopCount: CPUBudget.cores)
    /// Threads a training job uses (default: one fewer than the cores, so inference keeps one).
    public var trainingThreads = max(1, CPUBudget.cores - 1)
    /// Training jobs waiting at most.
    public var maxQueuedJobs = 8
    /// The most memory one training job may need by its `TrainingFootprint` estimate (bytes);
    /// larger jobs are refused at submit with 422.
    public var maxJobMemoryBytes = 1 << 30
    /// Starts a training job gets before a job whose process keeps dying is failed.
    public var maxJobAttempts = 2
    /// Seconds between looks at the shared state directory: the most an activation through
    /// another replica takes to reach this one, and a standby to take the queue over.
    public var statePollInterval: Double = 1
    /// fp32, int8, or auto (int8 where the model has calibration and the CPU has VNNI).
    public var precision = InferencePrecision.fp32

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks the settings and the files they name, through `fileSystem` (tests inject faults).
    public func validate(fileSystem: FileSystem = .posix) throws {
        func fail(_ message: String) -> Invalid { Invalid(description: message) }
        guard (0...65535).contains(port) else { throw fail("port \(port) is out of range: use 1-65535 (or 0 for any free port)") }
        guard fileSystem.fileExists(modelPath), !fileSystem.isDirectory(modelPath) else {
            throw fail("model file \(modelPath) does not exist: pass --model PATH (or MNIST_CNN_MODEL), "
                       + "or train one with `mnist-cnn train --out \(modelPath)`")
        }
        let model = fileSystem.open(modelPath, O_RDONLY | O_CLOEXEC, 0)
        guard model >= 0 else {
            throw fail("model file \(modelPath) is not readable by this user: check its permissions")
        }
        _ = fileSystem.close(model)
        do {
            try fileSystem.createDirectories(stateDirectory, mode: 0o755)
        } catch {
            throw fail("cannot create state directory \(stateDirectory): \(error); "
                       + "pass --state-dir PATH (or MNIST_CNN_STATE_DIR) pointing to a writable directory")
        }
        let probe = (stateDirectory.hasSuffix("/") ? stateDirectory : stateDirectory + "/") + ".write-test-\(getpid())"
        let written = fileSystem.open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard written >= 0 else {
            throw fail("state directory \(stateDirectory) is not writable by this user: fix its permissions "
                       + "or pass --state-dir PATH (or MNIST_CNN_STATE_DIR)")
        }
        _ = fileSystem.close(written)
        _ = fileSystem.unlink(probe)
        if let mnistDirectory {
            guard fileSystem.isDirectory(mnistDirectory) else {
                throw fail("MNIST directory \(mnistDirectory) does not exist: pass --mnist-dir PATH (or MNIST_DIR), "
                           + "or leave it unset to disable /train")
            }
        }
        if let adminToken, adminToken.count < 8 {
            throw fail("the admin token is too short (\(adminToken.count) characters): use at least 8, e.g. `openssl rand -hex 16`")
        }
        guard batching.maxBatchSize >= 1, batching.maxBatchSize <= 4096 else { throw fail("--max-batch-size must be in 1...4096") }
        guard batching.maxQueueDelayMicroseconds >= 0, batching.maxQueueDelayMicroseconds <= 1_000_000 else {
            throw fail("--max-queue-delay-us must be in 0...1000000")
        }
        guard maxImagesPerRequest >= 1 else { throw fail("--max-images-per-request must be at least 1") }
        guard maxPredictBodyBytes >= 1 else { throw fail("--max-predict-body-bytes must be at least 1") }
        guard maxTrainBodyBytes >= 1 else { throw fail("--max-train-body-bytes must be at least 1") }
        guard maxPixelsPerRequest >= 1 else { throw fail("the pixel limit per request must be at least 1") }
        if let memoryBudgetBytes, memoryBudgetBytes < 1 << 20 {
            throw fail("--memory-budget \(memoryBudgetBytes) is below 1 MiB, too small to decode one image: "
                       + "use e.g. 256Mi, or leave it unset to derive it from the cgroup memory limit")
        }
        guard trainingThreads >= 1 else { throw fail("--training-threads must be at least 1") }
        guard maxJobMemoryBytes >= 1 << 20 else { throw fail("--max-job-memory-mb must be at least 1") }
        guard maxJobAttempts >= 1 else { throw fail("--max-job-attempts must be at least 1") }
        guard statePollInterval >= 0.01, statePollInterval <= 60 else {
            throw fail("--state-poll-interval must be in 0.01...60 seconds")
        }
    }
}
