#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Logging
import TensorCore
import Training

/// The whole service: the model slot and the inference batcher, the HTTP server with every
/// route, readiness, metrics and graceful shutdown. `mnist-cnn serve` runs one; tests start
/// several in-process on ephemeral ports.
// Unchecked: the implicitly unwrapped members are set once in `start()`, before the server and the
// watcher threads that read them start; everything else is a `let` of a Sendable type.
public final class ServiceApp: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let slot = ModelSlot()
    public let readiness = Readiness()
    public let metrics = ServiceMetrics.shared
    public let batcher: InferenceBatcher
    /// The one account of the bytes request work holds: the server reserves bodies in it, the
    /// predict path decoded images and batches.
    public let memoryBudget: MemoryBudget
    private let memoryBudgetChoice: MemoryBudgetSizing.Choice
    public private(set) var registry: ModelRegistry!
    public private(set) var queue: TrainingQueue!
    /// The admin token in use and where it came from (configured or the state directory's file).
    public private(set) var adminToken: (token: String, source: AdminToken.Source)!
    /// Registered models served by version (KServe v2, TF Serving), beside the active one.
    private var versions: ModelVersions?
    private let router = Router()
    /// Made with the app, so signal handlers can be installed before `start()`; routes are
    /// added to `router` in `start()`, before the server starts.
    private let server: HTTPServer
    private var lease: QueueLease!
    private var watcher: StateWatcher?

    public init(configuration: ServiceConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        memoryBudgetChoice = MemoryBudgetSizing.choose(configured: configuration.memoryBudgetBytes)
        memoryBudget = MemoryBudget(capacity: memoryBudgetChoice.bytes)
        var http = configuration.http
        http.memoryBudget = memoryBudget
        server = HTTPServer(configuration: http, router: router, logger: logger)
        batcher = InferenceBatcher(slot: slot, settings: configuration.batching)
        let metrics = self.metrics
        batcher.onBatch = { metrics.record($0) }
        readiness.observe { metrics.setReady($0 == .ready) }
        slot.onSwap { [logger] model in
            metrics.setActiveModel(id: model.id, architecture: model.network.architecture.name ?? "custom")
            metrics.setInferencePrecision(model.precision, kernel: model.quantized?.instructionSet.rawValue ?? "fp32")
            logger.info("active model", metadata: ["model": "\(model.id)", "precision": "\(model.precision)"])
        }
    }

    /// The port the server listens on (after `start`; 0 if it was stopped before listening).
    public var port: Int { server.boundPort }

    /// Loads the state (jobs, registered models, the active choice), binds the port, warms the
    /// active model up, and only then reports ready. Corrupt files in the state directory are
    /// logged and (by the queue owner) set aside, never fatal.
    ///
    /// Many processes may share the state directory. A process with training data that gets
    /// the `QueueLease` owns the queue (recovers, runs jobs, cleans up); one that does not get
    /// it is a standby that takes over when the lease frees; one without training data only
    /// reads. Every one follows `active-model.json` (`StateWatcher`).
    public func start() throws {
        metrics.setReady(false)
        let state = StateDirectory(root: configuration.stateDirectory)
        try state.createDirectories()
        adminToken = try AdminToken.resolve(configured: configuration.adminToken, state: state)
        logger.notice("admin token", metadata: ["source": "\(adminToken.source)"])
        if case .stateFile(let path, _) = adminToken.source, !AdminToken.fileIsPrivate(state: state) {
            logger.warning("the admin token file is readable by other users; restrict it with chmod 600",
                           metadata: ["path": "\(path)"])
        }
        lease = QueueLease(path: state.queueLockPath)
        let role: TrainingQueue.Role = configuration.mnistDirectory == nil ? .readOnly
            : lease.tryAcquire() ? .owner : .standby
        registry = ModelRegistry(directory: state, shippedModelPath: configuration.modelPath, slot: slot,
                                 inferenceThreads: configuration.batching.threads, precision: configuration.precision)
        var problems = try registry.load(setAside: role == .owner)
        let (model, restoreProblems) = try registry.restoreActiveModel(setAside: role == .owner)
        problems += restoreProblems
        var queueSettings = TrainingQueue.Settings()
        queueSettings.maxQueued = configuration.maxQueuedJobs
        queueSettings.threads = configuration.trainingThreads
        queueSettings.maxAttempts = configuration.maxJobAttempts
        queue = TrainingQueue(store: JobStore(directory: state), registry: registry, settings: queueSettings, role: role,
                              makeTrainer: MNISTTrainerSource(directory: configuration.mnistDirectory).factory,
                              logger: logger)
        if role == .owner {
            problems += queue.recover()
        } else {
            queue.refreshFromDisk()
        }
        for problem in problems {
            logger.warning(role == .owner ? "state file set aside" : "state file unusable (left for the queue owner)",
                           metadata: ["problem": "\(problem)"])
        }
        logger.notice("training queue", metadata: ["role": "\(role.rawValue)", "lock": "\(state.queueLockPath)"])

        PredictRoutes(batcher: batcher, configuration: configuration, readiness: readiness, metrics: metrics,
                      budget: memoryBudget)
            .register(on: router)
        OperationsRoutes(readiness: readiness, slot: slot, metrics: metrics, beforeScrape: { [weak self] in
            self?.refreshTrainingMetrics()
            if let self { self.metrics.setMemoryBudget(self.memoryBudget) }
        }).register(on: router)
        JobRoutes(queue: queue, registry: registry, authorization: AdminAuthorization(token: adminToken.token),
                  trainingUnavailable: configuration.mnistDirectory == nil
                    ? "this server has no training data: start it with --mnist-dir (or MNIST_DIR) pointing to the MNIST files"
                    : nil,
                  maxTrainBodyBytes: configuration.maxTrainBodyBytes,
                  maxJobMemoryBytes: configuration.maxJobMemoryBytes)
            .register(on: router)
        WebRoutes().register(on: router)
        let versions = ModelVersions(active: batcher, registry: registry, onBatch: batcher.onBatch)
        self.versions = versions
        let tensorLimits = TensorRequestLimits(configuration: configuration, budget: memoryBudget)
        KServeRoutes(versions: versions, configuration: configuration, readiness: readiness, metrics: metrics,
                     limits: tensorLimits)
            .register(on: router)
        TFServingRoutes(versions: versions, configuration: configuration, readiness: readiness, metrics: metrics,
                        limits: tensorLimits)
            .register(on: router)

        logger.notice("memory budget", metadata: ["bytes": "\(memoryBudget.capacity)", "why": "\(memoryBudgetChoice.reason)"])
        server.onRequestCompleted = { [metrics] record in metrics.record(record) }
        // A SIGTERM during start-up (handlers are installed before `start()`) stops here:
        // nothing more starts, and `waitUntilStopped()` returns at once.
        guard !server.isShuttingDown else { return }
        do {
            try server.start()
        } catch HTTPServerError.alreadyStarted where server.isShuttingDown {
            return  // The signal came between the check above and `start()`.
        }
        // Probes answer (liveness 200, readiness 503) while the model warms up.
        batcher.warmUp(model: model)
        guard !server.isShuttingDown else {
            logger.notice("stopping before serving: a signal arrived during warm-up")
            return
        }
        slot.swap(to: model)
        batcher.start()
        if role == .owner { queue.start() }
        let watcher = StateWatcher(interval: configuration.statePollInterval) { [weak self] in self?.watchState() }
        self.watcher = watcher
        watcher.start()
        readiness.set(.ready)
        logger.notice("serving", metadata: ["port": "\(server.boundPort)", "model": "\(model.id)",
                                            "kernel": "\(model.network.gemm.instructionSet.rawValue)",
                                            "training": "\(configuration.mnistDirectory ?? "disabled (no --mnist-dir)")"])
    }

    /// One look at the shared state directory (every `statePollInterval` seconds): a standby
    /// tries to take the queue over; a process that does not own the queue refreshes the jobs
    /// and models it shows; every process follows the persisted active-model choice.
    private func watchState() {
        // A draining process leaves the queue to the next standby rather than take it on its way out.
        if queue.role == .standby && readiness.current != .draining && lease.tryAcquire() {
            queue.takeOwnership()
            logger.notice("took over the training queue: its previous owner stopped",
                          metadata: ["lock": "\(lease.path)"])
            do {
                for problem in try registry.load(setAside: true) {
                    logger.warning("state file set aside", metadata: ["problem": "\(problem)"])
                }
            } catch {
                logger.error("could not reload the model registry", metadata: ["error": "\(error)"])
            }
            for problem in queue.recover() {
                logger.warning("state file set aside", metadata: ["problem": "\(problem)"])
            }
            queue.start()
        } else if queue.role != .owner {
            queue.refreshFromDisk()
            registry.refreshRecords()
        }
        switch registry.followPersistedChoice() {
        case .unchanged:
            break
        case .switched(let id):
            logger.notice("now serving the model activated on the state directory", metadata: ["model": "\(id)"])
        case let .failed(id, reason):
            logger.error("cannot serve the model activated on the state directory; keeping the current one",
                         metadata: ["model": "\(id)", "reason": "\(reason)"])
        }
    }

    /// Jobs by state, the running job's figures and the server's dropped access-log lines,
    /// read when Prometheus scrapes.
    private func refreshTrainingMetrics() {
        metrics.setAccessLogDropped(server.droppedAccessLogRecords)
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

    /// SIGTERM/SIGINT: report not-ready at once, then drain and stop. Install before `start()`
    /// so that a signal during start-up (loading state, warming up) ends the process cleanly
    /// instead of killing it.
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
        watcher?.stop()
        batcher.stop()
        versions?.stop()
        queue?.shutdown()
        lease?.release()
    }
}
