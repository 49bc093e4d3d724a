import Foundation
import HTTP1
import Logging
import TensorCore
import Training

/// The whole service: the model slot and the inference batcher, the HTTP server with every
/// route, readiness, metrics and graceful shutdown. `mnist-cnn serve` runs one; tests start
/// several in-process on ephemeral ports.
public final class ServiceApp: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let slot = ModelSlot()
    public let readiness = Readiness()
    public let metrics = ServiceMetrics.shared
    public let batcher: InferenceBatcher
    public private(set) var registry: ModelRegistry!
    public private(set) var queue: TrainingQueue!
    /// Registered models served by version (KServe v2, TF Serving), beside the active one.
    private var versions: ModelVersions?
    private let router = Router()
    private var server: HTTPServer!

    public init(configuration: ServiceConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        batcher = InferenceBatcher(slot: slot, settings: configuration.batching)
        let metrics = self.metrics
        batcher.onBatch = { metrics.record($0) }
        readiness.observe { metrics.setReady($0 == .ready) }
        slot.onSwap { [logger] model in
            metrics.setActiveModel(id: model.id, architecture: model.network.architecture.name ?? "custom")
            logger.info("active model", metadata: ["model": "\(model.id)"])
        }
    }

    /// The port the server listens on (after `start`).
    public var port: Int { server.boundPort }

    /// Loads the state (jobs, registered models, the active choice), binds the port, warms the
    /// active model up, and only then reports ready. Corrupt files in the state directory are
    /// logged and set aside, never fatal.
    public func start() throws {
        metrics.setReady(false)
        let state = StateDirectory(root: configuration.stateDirectory)
        try state.createDirectories()
        registry = ModelRegistry(directory: state, shippedModelPath: configuration.modelPath, slot: slot,
                                 inferenceThreads: configuration.batching.threads)
        var problems = try registry.load()
        let (model, restoreProblems) = try registry.restoreActiveModel()
        problems += restoreProblems
        var queueSettings = TrainingQueue.Settings()
        queueSettings.maxQueued = configuration.maxQueuedJobs
        queueSettings.threads = configuration.trainingThreads
        queue = TrainingQueue(store: JobStore(directory: state), registry: registry, settings: queueSettings,
                              makeTrainer: MNISTTrainerSource(directory: configuration.mnistDirectory).factory,
                              logger: logger)
        problems += queue.recover()
        for problem in problems {
            logger.warning("state file set aside", metadata: ["problem": "\(problem)"])
        }

        PredictRoutes(batcher: batcher, configuration: configuration, readiness: readiness, metrics: metrics)
            .register(on: router)
        OperationsRoutes(readiness: readiness, slot: slot, metrics: metrics, beforeScrape: { [weak self] in
            self?.refreshTrainingMetrics()
        }).register(on: router)
        JobRoutes(queue: queue, registry: registry, authorization: AdminAuthorization(token: configuration.adminToken),
                  trainingUnavailable: configuration.mnistDirectory == nil
                    ? "this server has no training data: start it with --mnist-dir (or MNIST_DIR) pointing to the MNIST files"
                    : nil)
            .register(on: router)
        WebRoutes().register(on: router)
        let versions = ModelVersions(active: batcher, registry: registry, onBatch: batcher.onBatch)
        self.versions = versions
        KServeRoutes(versions: versions, configuration: configuration, readiness: readiness, metrics: metrics)
            .register(on: router)
        TFServingRoutes(versions: versions, configuration: configuration, readiness: readiness, metrics: metrics)
            .register(on: router)

        var http = configuration.http
        http.host = configuration.host
        http.port = configuration.port
        server = HTTPServer(configuration: http, router: router, logger: logger)
        server.onRequestCompleted = { [metrics] record in metrics.record(record) }
        try server.start()
        // Probes answer (liveness 200, readiness 503) while the model warms up.
        batcher.warmUp(model: model)
        slot.swap(to: model)
        batcher.start()
        queue.start()
        readiness.set(.ready)
        logger.notice("serving", metadata: ["port": "\(server.boundPort)", "model": "\(model.id)",
                                            "kernel": "\(model.network.gemm.instructionSet.rawValue)",
                                            "training": "\(configuration.mnistDirectory ?? "disabled (no --mnist-dir)")"])
    }

    /// Jobs by state and the running job's figures, read when Prometheus scrapes.
    private func refreshTrainingMetrics() {
        guard let queue else { return }
        let jobs = queue.store.all()
        var counts: [String: Int] = [:]
        for job in jobs { counts[job.status.rawValue, default: 0] += 1 }
        metrics.setTrainingJobs(counts)
        let running = jobs.first { $0.status == .running }
        metrics.setRunningJob(imagesPerSecond: running?.progress?.imagesPerSecond ?? 0,
                              loss: running?.metrics.last.map { Double($0.loss) } ?? running?.progress.map { Double($0.loss) },
                              trainAccuracy: running?.metrics.last?.trainAccuracy,
                              validationAccuracy: running?.metrics.last?.validationAccuracy)
    }

    /// SIGTERM/SIGINT: report not-ready at once, then drain and stop.
    public func installSignalHandlers() {
        server.installSignalHandlers { [weak self] signal in
            guard let self else { return }
            self.readiness.set(.draining)
            self.logger.notice("draining", metadata: ["signal": "\(signal)"])
        }
    }

    /// Graceful shutdown: not ready, stop accepting, finish in-flight requests, stop the batcher.
    public func shutdown() {
        readiness.set(.draining)
        server.beginShutdown()
    }

    /// Blocks until the server has stopped, then stops the batcher and the training runner (a
    /// running job keeps its last checkpoint and resumes at the next start).
    public func waitUntilStopped() {
        server.waitUntilStopped()
        batcher.stop()
        versions?.stop()
        queue?.shutdown()
    }
}
