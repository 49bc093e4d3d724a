import Platform
import Dispatch
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
import Logging
import ModelFile
import TensorCore
import Training

/// Runs training jobs one at a time, in the order they were submitted, on a thread of its own.
///
/// Jobs wait in a bounded FIFO (`Settings.maxQueued`; a full queue is
/// `TrainingQueueError.queueFull`, which the route answers with 429 and `Retry-After`). The
/// runner is a dedicated `Thread`, not a Dispatch queue, so training never occupies the
/// threads the HTTP server and the inference batcher use, and it lowers its own scheduling
/// priority (nice 10 by default) so `/predict` wins the CPU when both want it. Training uses
/// `Settings.threads` threads (default one fewer than the cores); with one thread every pass
/// runs on the runner thread itself, so the whole job runs at the lower priority. With more,
/// `ThreadPool` fans out through `DispatchQueue.concurrentPerform`, whose workers keep their
/// normal priority.
///
/// Every change of a job is written to its file before it is shown (progress at most every
/// `progressPersistInterval` seconds, and at every epoch); a checkpoint is written after every
/// epoch, so `recover()` after a crash resumes where the last epoch ended.
///
/// How a job ends:
/// - all epochs done: `succeeded`; the model is written and registered, the job's `activate`
///   policy applied, the checkpoint deleted.
/// - `max_runtime_seconds` ran out after at least one finished epoch: also `succeeded`, with
///   `final_metrics.stop_reason = "time_limit"` (the model as its last step left it, scored on
///   the test set and subject to the activation policy like any other). Before the first epoch
///   finished: `failed`, saying so. The budget counts from the start of each run, so a job
///   resumed after a restart gets it afresh.
/// - cancelled by `DELETE`: `cancelled`, nothing registered.
/// - the trainer or its data failed (MNIST missing, divergence, disk full): `failed` with the
///   reason. A checkpoint write that fails is retried with backoff first
///   (`Settings.writeRetries`), and a job failed for it keeps its last good checkpoint.
/// - its process died while it ran `Settings.maxAttempts` times (killed for memory, say):
///   `failed`, saying so, instead of taking the next process down too.
///
/// Several processes may share a state directory; only the one holding its `QueueLease` owns
/// the queue (`Role.owner`). The others show the jobs as the owner writes them and refuse
/// changes (`TrainingQueueError.notOwner`); a `standby` (one with training data) becomes the
/// owner when the lease frees up (`takeOwnership()`).
// Unchecked: the mutable state is only touched with `condition` locked (the runner waits on it, which a
// Mutex cannot); `makeTrainer` is called on the runner thread only.
public final class TrainingQueue: @unchecked Sendable {
    public struct Settings: Sendable {
        /// Jobs that may wait (not counting the one running).
        public var maxQueued = 8
        /// Threads a job trains with (its `params.threads`).
        public var threads = max(1, CPUBudget.cores - 1)
        /// The nice value the runner thread takes (0 leaves it as it is).
        public var niceness: Int32 = 10
        /// Progress is written to the job file at most this often (seconds).
        public var progressPersistInterval: Double = 2
        /// What a 429 tells the client to wait (seconds).
        public var retryAfterSeconds = 30
        /// Starts a job gets: one whose process died while it ran this many times is failed
        /// instead of resumed again.
        public var maxAttempts = 2
        /// How often a failed checkpoint write is tried again, and the first pause (doubled
        /// after each try): a transient ENOSPC or EIO should not end a long job.
        public var writeRetries = 4
        public var writeRetryDelay: Double = 0.2

        public init() {}
    }

    public let store: JobStore
    public let registry: ModelRegistry
    public let directory: StateDirectory
    public let settings: Settings
    private let makeTrainer: TrainerFactory
    private let time: TimeSource
    private let logger: Logger

    /// What this process may do with the queue.
    public enum Role: String, Sendable {
        /// Holds the lease: runs jobs, takes submissions and cancels.
        case owner
        /// Has training data and waits for the lease; read-only until then.
        case standby
        /// Has no training data: never touches the queue, only shows it.
        case readOnly = "read-only"
    }

    /// Guards `pending`, `stopping`, `runnerDone`, `lastCreatedAt`, `role`, `completing` and
    /// every job change.
    private let condition = Condition()
    /// Ids of queued jobs, oldest first.
    private var pending: [String] = []
    private var stopping = false
    private var runnerStarted = false
    private var runnerDone = false
    private var lastCreatedAt: RFC3339Date?
    private var currentRole: Role
    /// The job whose model is being registered: too late to cancel it.
    private var completing: String?

    /// - Parameters:
    ///   - makeTrainer: builds a job's run (`MNISTTrainerSource.factory` in the service).
    ///   - time: wall time stamps the jobs, monotonic time spaces the progress writes.
    ///   - role: what this process starts as (`takeOwnership()` turns a standby into the owner).
    public init(store: JobStore, registry: ModelRegistry, settings: Settings = Settings(), role: Role = .owner,
                makeTrainer: @escaping TrainerFactory, time: TimeSource = .system,
                logger: Logger = Logger(label: "mnist-cnn.training")) {
        self.currentRole = role
        self.store = store
        self.registry = registry
        self.directory = store.directory
        self.settings = settings
        self.makeTrainer = makeTrainer
        self.time = time
        self.logger = logger
    }

    private var now: RFC3339Date { RFC3339Date(now: time) }

    /// What this process may do with the queue now.
    public var role: Role { condition.withLock { currentRole } }

    /// A process that does not own the queue shows the jobs as the owner last wrote them.
    public func refreshFromDisk() {
        guard role != .owner else { return }
        _ = store.load(setAside: false)
    }

    /// A standby that got the lease: from now on it owns the queue. Call `recover()` then
    /// `start()` next, as at a first start.
    public func takeOwnership() {
        condition.withLock { currentRole = .owner }
    }

    // MARK: - Start and stop

    /// Loads the jobs a previous process left and puts the unfinished ones back in line:
    /// jobs that were running go first (in creation order) and resume from their checkpoint
    /// when they run; queued jobs follow in their order; a job that was being cancelled is
    /// cancelled. Leftover checkpoints of finished or unknown jobs are set aside, and
    /// temporary files of interrupted writes deleted. Call once, before `start()` (and after
    /// `ModelRegistry.load()`, which shares the state directory).
    /// - Returns: the files that could not be used (already moved to `quarantine/`).
    public func recover() -> [StateProblem] {
        precondition(role == .owner, "only the queue owner recovers")
        for path in directory.removeStaleTemporaryFiles() {
            logger.info("removed the temporary file of an interrupted write", metadata: ["path": "\(path)"])
        }
        var problems = store.load()
        var resumed: [String] = [], queued: [String] = []
        let time = now
        condition.lock()
        defer { condition.unlock() }
        for var job in store.all() {
            do {
                switch job.status {
                case .running:
                    try job.requeueAfterRestart(at: time)
                    try store.save(job)
                    resumed.append(job.id)
                case .cancelling:
                    try job.transition(to: .cancelled, at: time, reason: "the service restarted while the job was stopping")
                    try store.save(job)
                    directory.removeIfPresent(directory.checkpointPath(job.id))
                case .queued:
                    queued.append(job.id)
                case .succeeded, .cancelled:
                    directory.removeIfPresent(directory.checkpointPath(job.id))
                case .failed:
                    break  // a failed job keeps its last good checkpoint, to resume by hand
                }
            } catch {
                problems.append(StateProblem(path: directory.jobPath(job.id), reason: "could not update it: \(error)",
                                             quarantinedTo: nil))
            }
            lastCreatedAt = max(lastCreatedAt ?? job.createdAt, job.createdAt)
        }
        for name in directory.files(in: directory.checkpointsDirectory, suffix: ".safetensors") {
            let jobID = String(name.dropLast(".safetensors".count))
            if store.job(jobID) == nil {
                problems.append(directory.quarantine(directory.checkpointsDirectory + "/" + name,
                                                     reason: "checkpoint of no known job"))
            }
        }
        pending = resumed + queued
        return problems
    }

    /// Starts the runner thread.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !runnerStarted else { return }
        runnerStarted = true
        Threads.start(name: "mnist-cnn.training", stackSize: 8 << 20) { [self] in runLoop() }
    }

    /// Stops the runner and waits for it: a running job stops at its next step and stays
    /// `running` on disk with its last epoch checkpoint, so the next start resumes it; queued
    /// jobs stay queued. New submissions are refused from now on.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while runnerStarted && !runnerDone { condition.wait() }
        condition.unlock()
    }

    // MARK: - Requests

    /// Queues a job for `request`.
    /// - Throws: `TrainingQueueError.queueFull` / `.shuttingDown`, or the job file's write error.
    public func submit(_ request: TrainingRequest) throws -> TrainingJob {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw TrainingQueueError.shuttingDown }
        guard currentRole == .owner else { throw TrainingQueueError.notOwner(currentRole) }
        guard pending.count < settings.maxQueued else {
            throw TrainingQueueError.queueFull(limit: settings.maxQueued, retryAfterSeconds: settings.retryAfterSeconds)
        }
        // Strictly increasing creation times keep the FIFO order and the listing order one.
        var created = now
        if let last = lastCreatedAt, created <= last { created = RFC3339Date(milliseconds: last.milliseconds + 1) }
        var id = JobStore.makeID(at: created)
        while store.job(id) != nil { id = JobStore.makeID(at: created) }
        let job = TrainingJob(id: id, params: request.configuration, request: request.raw, activate: request.activate,
                              now: created)
        try store.save(job)
        lastCreatedAt = created
        pending.append(id)
        condition.broadcast()
        return job
    }

    /// Cancels a job: a queued one at once, a running one at its next step.
    /// - Returns: the job after the change and whether it is already cancelled.
    /// - Throws: `TrainingQueueError.notFound`, or `JobStateError.alreadyFinished` (409).
    public func cancel(_ id: String) throws -> (job: TrainingJob, outcome: TrainingJob.CancelOutcome) {
        condition.lock()
        defer { condition.unlock() }
        guard currentRole == .owner else { throw TrainingQueueError.notOwner(currentRole) }
        guard var job = store.job(id) else { throw TrainingQueueError.notFound(id) }
        guard completing != id else { throw JobStateError.finishing(id: id) }
        let outcome = try job.requestCancel(at: now)
        try store.save(job)
        if outcome == .cancelled {
            pending.removeAll { $0 == id }
            // A job requeued after a restart may have a checkpoint it will now never use.
            directory.removeIfPresent(directory.checkpointPath(id))
        }
        return (job, outcome)
    }

    /// The ids of the queued jobs in the order they will run.
    public var queuedJobIDs: [String] {
        condition.lock()
        defer { condition.unlock() }
        return pending
    }

    // MARK: - The runner

    private func runLoop() {
        Self.lowerPriority(to: settings.niceness)
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if stopping {
                runnerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let id = pending.removeFirst()
            condition.unlock()
            execute(id)
        }
    }

    /// Applies `change` to the stored job and saves it (or only updates memory when
    /// `persist` is false). Returns the job after the change, nil when it is gone.
    @discardableResult
    private func mutate(_ id: String, persist: Bool = true, _ change: (inout TrainingJob) throws -> Void) -> TrainingJob? {
        condition.lock()
        defer { condition.unlock() }
        guard var job = store.job(id) else { return nil }
        do {
            try change(&job)
            if persist { try store.save(job) } else { store.update(job) }
        } catch {
            logger.error("could not update job", metadata: ["job": "\(id)", "error": "\(error)"])
            if !persist { return nil }
            store.update(job)
        }
        return job
    }

    private func execute(_ id: String) {
        guard let queuedJob = store.job(id), queuedJob.status == .queued else { return }
        let checkpointPath = directory.checkpointPath(id)
        if queuedJob.attempts >= settings.maxAttempts {
            let reason = "the job did not finish in \(queuedJob.attempts) attempts: its process stopped while it ran "
                + "each time (killed, or out of memory), so it is not resumed again"
            mutate(id) { try $0.fail(reason: reason, at: now) }
            logger.error("training job failed", metadata: ["job": "\(id)", "reason": "\(reason)"])
            return
        }
        let hasRunBefore = queuedJob.transitions.contains { $0.status == .running }

        var checkpoint: Checkpoint?
        var startReason: String? = hasRunBefore ? "no checkpoint was saved; starting over from the first epoch" : nil
        /// Sets a bad checkpoint aside and says so in the job's history.
        /// `why` is shown to anyone; `detail` (paths, errno) goes to the log only.
        func discardCheckpoint(_ why: String, detail: String? = nil) {
            let problem = directory.quarantine(checkpointPath, reason: why + (detail.map { " (\($0))" } ?? ""))
            logger.warning("checkpoint set aside", metadata: ["job": "\(id)", "problem": "\(problem)"])
            checkpoint = nil
            startReason = "\(why); set aside in quarantine/; starting over from the first epoch"
        }
        if directory.fileExists(checkpointPath) {
            do {
                // Reading is retried like writing: an I/O failure says nothing about the file.
                let read = try retrying("checkpoint read", path: checkpointPath, job: id, when: Self.isReadFailure) {
                    try Checkpoint.read(from: checkpointPath, fileSystem: directory.fileSystem)
                }
                if read.configuration == queuedJob.params {
                    checkpoint = read
                    startReason = "resuming from the checkpoint after epoch \(read.completedEpochs)"
                } else {
                    discardCheckpoint("the checkpoint belongs to another configuration")
                }
            } catch SafeTensorsError.readFailed {
                // Still unreadable after the retries: the file stays for the next attempt, and
                // the job does not run without it (it would lose the epochs it holds).
                let reason = "the checkpoint could not be read (an I/O error, after retries); it is kept, "
                    + "for `mnist-cnn train --checkpoint` to resume from"
                mutate(id) { job in
                    guard job.status == .queued else { return }
                    try job.fail(reason: reason, at: now)
                }
                logger.error("training job failed", metadata: ["job": "\(id)", "reason": "\(reason)"])
                return
            } catch {
                discardCheckpoint("the checkpoint is unreadable", detail: "\(error)")
            }
        }

        // Counted and written before the trainer allocates the network: if that kills the
        // process, the next start still knows this attempt happened.
        guard mutate(id, { job in
            guard job.status == .queued else { return }
            job.countAttempt()
        })?.status == .queued else { return }

        var run: any TrainingRun
        do {
            do {
                run = try makeTrainer(queuedJob.params, checkpoint)
            } catch let error as TrainingError where checkpoint != nil {
                guard case .checkpointMismatch(let reason) = error else { throw error }
                discardCheckpoint("the checkpoint does not fit the job (\(reason))")
                run = try makeTrainer(queuedJob.params, nil)
            }
        } catch {
            mutate(id) { job in
                guard job.status == .queued else { return }
                try job.fail(reason: Self.publicReason(for: error), detail: "\(error)", at: now)
            }
            logger.warning("training job failed", metadata: ["job": "\(id)", "reason": "\(error)"])
            directory.removeIfPresent(checkpointPath)
            return
        }

        // A cancel may have come while the data loaded: then the job is no longer queued.
        let started = mutate(id) { job in
            guard job.status == .queued else { return }
            try job.start(at: now, reason: startReason)
            job.metrics = checkpoint?.history ?? []
            job.progress = nil
        }
        guard started?.status == .running else { return }
        logger.info("training job started", metadata: ["job": "\(id)", "resumed": "\(checkpoint != nil)"])

        var lastPersist = time.monotonicSeconds()
        let interval = settings.progressPersistInterval
        let observer = TrainingObserver(
            progress: { [self] progress in
                let reported = time.monotonicSeconds()
                let persist = reported - lastPersist >= interval
                if persist { lastPersist = reported }
                mutate(id, persist: persist) { $0.progress = progress }
            },
            epochFinished: { [self] metrics, checkpoint in
                try writeWithRetries(try checkpoint.encoded(), to: checkpointPath, job: id)
                lastPersist = time.monotonicSeconds()
                mutate(id) { $0.metrics.append(metrics) }
            },
            shouldStop: { [self] in
                condition.lock()
                defer { condition.unlock() }
                return stopping || store.job(id)?.status == .cancelling
            })

        let result: TrainingResult
        do {
            result = try run.run(observer: observer)
        } catch {
            finish(id, failure: Self.publicReason(for: error), detail: "\(error)", checkpointPath: checkpointPath)
            return
        }

        condition.lock()
        let status = store.job(id)?.status, shuttingDown = stopping
        condition.unlock()
        if status == .running && shuttingDown && result.stopReason == .cancelled {
            // Interrupted by shutdown, not by a user: stays running; the next start resumes it,
            // and this start does not count against its attempts.
            mutate(id) { $0.returnAttempt() }
            logger.notice("training job interrupted by shutdown", metadata: ["job": "\(id)"])
            return
        }
        // From here the run is over: a cancel either came before this point (the job ends
        // cancelled, nothing registered) or comes after it and is refused (409), never both.
        let cancelled: Bool = condition.withLock {
            if store.job(id)?.status == .cancelling || result.stopReason == .cancelled { return true }
            completing = id
            return false
        }
        defer { condition.withLock { if completing == id { completing = nil } } }
        if cancelled {
            mutate(id) { try $0.transition(to: .cancelled, at: now, reason: "stopped after the cancel request") }
            directory.removeIfPresent(checkpointPath)
            return
        }
        if result.stopReason == .timeLimit && result.history.isEmpty {
            let limit = queuedJob.params.maxRuntimeSeconds ?? 0
            finish(id, failure: "max_runtime_seconds (\(limit)) ran out before the first epoch finished",
                   checkpointPath: checkpointPath)
            return
        }
        do {
            try complete(id, params: queuedJob.params, policy: queuedJob.activate.policy, result: result)
            directory.removeIfPresent(checkpointPath)
        } catch {
            finish(id, failure: "could not save the trained model: " + Self.publicReason(for: error),
                   detail: "could not save the trained model: \(error)", checkpointPath: checkpointPath)
        }
    }

    /// Registers the model, applies the activation policy and marks the job succeeded.
    private func complete(_ id: String, params: TrainingConfiguration, policy: ActivationPolicy,
                          result: TrainingResult) throws {
        let modelID = "model-" + (id.hasPrefix("job-") ? String(id.dropFirst(4)) : id)
        let createdAt = now
        let trainingSeconds = result.history.reduce(0) { $0 + $1.seconds }
        if registry.record(modelID) == nil {
            var metadata = try TrainedModel.metadata(configuration: params, result: result, trainingSeconds: trainingSeconds,
                                                     createdAt: createdAt.date)
            metadata["job_id"] = id
            _ = try registry.register(network: result.network, metadata: metadata, id: modelID, jobID: id,
                                      createdAt: createdAt)
        }
        let (activated, reason) = registry.apply(policy, to: modelID)
        let last = result.history.last
        let final = TrainingJob.FinalMetrics(
            testAccuracy: result.test?.accuracy, validationAccuracy: result.validation?.accuracy,
            trainAccuracy: last?.trainAccuracy, loss: last?.loss, epochsCompleted: result.history.count,
            stopReason: result.stopReason, trainingSeconds: trainingSeconds)
        mutate(id) { job in
            try job.succeed(modelID: modelID, finalMetrics: final, activated: activated, activationReason: reason, at: now)
        }
        logger.info("training job succeeded", metadata: ["job": "\(id)", "model": "\(modelID)", "activated": "\(activated)"])
    }

    /// Fails the job. Its last good checkpoint stays (a failure may be the disk's, not the
    /// job's), for `mnist-cnn train --checkpoint` to resume by hand.
    private func finish(_ id: String, failure reason: String, detail: String? = nil, checkpointPath: String) {
        mutate(id) { try $0.fail(reason: reason, detail: detail, at: now) }
        logger.warning("training job failed", metadata: ["job": "\(id)", "reason": "\(detail ?? reason)"])
    }

    /// A job's failure in words safe to show any client of `GET /train`: what went wrong and
    /// what to do, never a path or an errno (those go to the log and `error_detail`).
    static func publicReason(for error: any Error) -> String {
        switch error {
        case is FileError:
            return "a file in the state directory could not be written or read (disk full or an I/O error; "
                + "the service log has the details)"
        case is TrainingDataUnavailable:
            return "the training data is missing or unreadable on the server"
        case let error as TrainingError:
            return error.description
        default:
            return "the job failed on the server (the service log has the details)"
        }
    }

    /// `AtomicFile.write` tried again with a doubling pause while it fails: the previous file
    /// stays whole through every failed try (the write is atomic), so retrying costs nothing
    /// but time.
    /// - Throws: the last error after `Settings.writeRetries` retries.
    func writeWithRetries(_ bytes: [UInt8], to path: String, job id: String) throws {
        try retrying("write", path: path, job: id) { try directory.write(bytes, to: path) }
    }

    /// `body` tried again with a doubling pause (`Settings.writeRetryDelay`, up to
    /// `Settings.writeRetries` times) while it throws an error `isTransient` accepts: for I/O
    /// that a full disk or a flaky volume can fail for a moment.
    private func retrying<T>(_ what: String, path: String, job id: String,
                             when isTransient: (any Error) -> Bool = { _ in true }, _ body: () throws -> T) throws -> T {
        var delay = settings.writeRetryDelay
        var retry = 0
        while true {
            do {
                let result = try body()
                if retry > 0 {
                    logger.notice("\(what) succeeded after retries", metadata: ["job": "\(id)", "retries": "\(retry)"])
                }
                return result
            } catch {
                guard retry < settings.writeRetries, isTransient(error) else { throw error }
                retry += 1
                logger.warning("\(what) failed; retrying", metadata: ["job": "\(id)", "path": "\(path)", "retry": "\(retry)",
                                                                     "error": "\(error)"])
                Threads.sleep(seconds: delay)
                delay *= 2
            }
        }
    }

    /// Whether reading a file failed for I/O (worth retrying), not for what it holds.
    static func isReadFailure(_ error: any Error) -> Bool {
        if case SafeTensorsError.readFailed = error { return true }
        return false
    }

    /// Gives the calling thread a lower scheduling priority (a higher nice value); never
    /// raises it. On Linux the nice value is per thread, and `setpriority(PRIO_PROCESS, 0, n)`
    /// changes the calling thread only (`who == 0` is the caller's task, see setpriority(2),
    /// BUGS), which is what we want: the server and inference threads keep theirs. Elsewhere
    /// it would renice the whole process, so it does nothing there.
    static func lowerPriority(to niceness: Int32) {
        #if os(Linux)
        guard niceness > 0 else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        if errno == 0 && current >= niceness { return }
        _ = setpriority(which, 0, niceness)
        #endif
    }
}

public enum TrainingQueueError: Error, Equatable, Sendable, CustomStringConvertible {
    case queueFull(limit: Int, retryAfterSeconds: Int)
    case notFound(String)
    case shuttingDown
    /// This process does not own the queue of its state directory.
    case notOwner(TrainingQueue.Role)

    public var description: String {
        switch self {
        case let .queueFull(limit, _): return "the training queue is full (\(limit) jobs waiting); try again later"
        case .notFound(let id): return "no training job \(id)"
        case .shuttingDown: return "the service is shutting down and takes no new jobs"
        case .notOwner(.readOnly):
            return "this process has no training data, so it only shows the jobs (read-only); send job changes to "
                + "the process that trains (the one started with --mnist-dir)"
        case .notOwner:
            return "this process is a standby: another process on the same state directory owns the training queue; "
                + "send job changes to it (this one takes over if it stops)"
        }
    }
}
