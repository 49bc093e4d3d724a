import Foundation
import MNISTData
import Synchronization
import Testing
import TestSupport
import Training
@testable import Service
#if canImport(Glibc)
import Glibc
#endif

/// Holds every run at its start until opened, and records which runs started, in order, and
/// from which checkpoint epoch, so the tests can see the queue's order and hold a job in
/// `running` without timing anything.
// Unchecked: `isOpen` and `starts` are only touched with `condition` locked.
final class StartGate: @unchecked Sendable {
    struct Start: Equatable {
        var seed: UInt64
        var resumedAfterEpoch: Int?
    }

    private let condition = NSCondition()
    private var isOpen: Bool
    private var starts: [Start] = []

    init(open: Bool) { isOpen = open }

    var started: [Start] { condition.withLock { starts } }

    func open() { condition.withLock { isOpen = true } }

    func arrive(_ start: Start) { condition.withLock { starts.append(start) } }

    var opened: Bool { condition.withLock { isOpen } }

    /// A factory of real trainers on the synthetic set that wait at this gate.
    func factory(trainingSet: MNISTDataset = JobsFixtures.syntheticSet) -> TrainerFactory {
        { [self] configuration, checkpoint in
            let trainer = try Trainer(configuration: configuration, trainingSet: trainingSet,
                                      testSet: JobsFixtures.syntheticSet, resumingFrom: checkpoint)
            return GatedRun(trainer: trainer, gate: self,
                            start: Start(seed: configuration.seed, resumedAfterEpoch: checkpoint?.completedEpochs))
        }
    }
}

/// A `Trainer` that first waits at a `StartGate` (still honouring a cancel while it waits).
final class GatedRun: TrainingRun {
    let trainer: Trainer
    let gate: StartGate
    let start: StartGate.Start

    init(trainer: Trainer, gate: StartGate, start: StartGate.Start) {
        self.trainer = trainer
        self.gate = gate
        self.start = start
    }

    func run(observer: TrainingObserver) throws -> TrainingResult {
        gate.arrive(start)
        while !gate.opened && !observer.shouldStop() { usleep(1_000) }
        return try trainer.run(observer: observer)
    }
}

extension JobsFixtures {
    /// Waits (polling) until `condition` holds; false if it never did within `timeout`, a
    /// safety net against hangs, not a measurement.
    static func eventually(timeout: Double = 120, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }
}

@Suite struct TrainingQueueTests {
    struct Setup {
        let temporary: TemporaryDirectory
        let state: StateDirectory
        let registry: ModelRegistry
        let slot: ModelSlot
        let queue: TrainingQueue

        func finished(_ ids: [String]) -> Bool {
            ids.allSatisfy { queue.store.job($0)?.status.isFinished == true }
        }

        func tearDown() {
            queue.shutdown()
            temporary.remove()
        }
    }

    static func setup(maxQueued: Int = 8, factory: @escaping TrainerFactory) throws -> Setup {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory(shippedAccuracy: 0.05)
        let slot = ModelSlot()
        let registry = try JobsFixtures.registry(state, shipped: shipped, slot: slot)
        var settings = TrainingQueue.Settings()
        settings.maxQueued = maxQueued
        settings.threads = 1
        let queue = TrainingQueue(store: JobStore(directory: state), registry: registry, settings: settings,
                                  makeTrainer: factory)
        #expect(queue.recover().isEmpty)
        return Setup(temporary: temporary, state: state, registry: registry, slot: slot, queue: queue)
    }

    static func request(seed: UInt64, epochs: Int = 1, activate: ActivationPolicy = .never,
                        maxRuntimeSeconds: Double? = nil) -> TrainingRequest {
        var configuration = JobsFixtures.quickConfiguration(epochs: epochs, seed: seed)
        configuration.maxRuntimeSeconds = maxRuntimeSeconds
        return TrainingRequest(configuration: configuration, activate: activate, raw: .object(["seed": .integer(Int64(seed))]))
    }

    /// Jobs run one at a time in submission order, each ending succeeded with a registered
    /// model, its checkpoint removed, and the activation policy applied.
    @Test func runsJobsOneAtATimeInOrder() throws {
        let gate = StartGate(open: false)
        let setup = try Self.setup(factory: gate.factory())
        defer { setup.tearDown() }
        let first = try setup.queue.submit(Self.request(seed: 1, activate: .never))
        let second = try setup.queue.submit(Self.request(seed: 2, activate: .always))
        let third = try setup.queue.submit(Self.request(seed: 3, epochs: 2, activate: .ifBetter))
        #expect(first.status == .queued && first.createdAt < second.createdAt && second.createdAt < third.createdAt)
        setup.queue.start()
        #expect(JobsFixtures.eventually { gate.started.count == 1 })
        #expect(setup.queue.store.job(first.id)?.status == .running)
        #expect(setup.queue.queuedJobIDs == [second.id, third.id])
        gate.open()
        #expect(JobsFixtures.eventually { setup.finished([first.id, second.id, third.id]) })
        #expect(gate.started.map(\.seed) == [1, 2, 3])

        let jobs = [first, second, third].compactMap { setup.queue.store.job($0.id) }
        for job in jobs {
            #expect(job.status == .succeeded)
            #expect(job.transitions.map(\.status) == [.queued, .running, .succeeded])
            #expect(job.metrics.count == job.params.epochs && job.progress?.fraction == 1)
            let modelID = try #require(job.modelID)
            #expect(setup.registry.record(modelID)?.jobID == job.id)
            #expect(FileManager.default.fileExists(atPath: setup.state.modelPath(modelID)))
            // Removed right after the job is marked finished (a crash in between leaves it for recover()).
            #expect(JobsFixtures.eventually { !FileManager.default.fileExists(atPath: setup.state.checkpointPath(job.id)) })
            #expect(job.finalMetrics?.epochsCompleted == job.params.epochs)
        }
        #expect(jobs[0].activate.activated == false)
        #expect(jobs[1].activate.activated == true)
        #expect(jobs[2].activate.activated != nil)
        let expectedActive = jobs[2].activate.activated == true ? jobs[2].modelID : jobs[1].modelID
        #expect(setup.registry.activeModelID == expectedActive && setup.slot.current?.id == expectedActive)
        // Everything shown is on disk.
        let reloaded = JobStore(directory: setup.state)
        #expect(reloaded.load().isEmpty && reloaded.all() == setup.queue.store.all())
    }

    /// The queue holds `maxQueued` waiting jobs; one more is refused until a place frees up.
    @Test func boundedQueue() throws {
        let setup = try Self.setup(maxQueued: 2, factory: StartGate(open: true).factory())
        defer { setup.tearDown() }
        let first = try setup.queue.submit(Self.request(seed: 1))
        _ = try setup.queue.submit(Self.request(seed: 2))
        #expect(throws: TrainingQueueError.queueFull(limit: 2, retryAfterSeconds: 30)) {
            _ = try setup.queue.submit(Self.request(seed: 3))
        }
        #expect(setup.queue.store.all().count == 2)
        _ = try setup.queue.cancel(first.id)
        _ = try setup.queue.submit(Self.request(seed: 3))
    }

    /// A queued job is cancelled at once and never runs; cancelling it again is a conflict.
    @Test func cancelWhileQueued() throws {
        let gate = StartGate(open: true)
        let setup = try Self.setup(factory: gate.factory())
        defer { setup.tearDown() }
        let doomed = try setup.queue.submit(Self.request(seed: 1))
        let kept = try setup.queue.submit(Self.request(seed: 2))
        let (job, outcome) = try setup.queue.cancel(doomed.id)
        #expect(outcome == .cancelled && job.status == .cancelled && job.finishedAt != nil)
        #expect(setup.queue.queuedJobIDs == [kept.id])
        #expect(throws: JobStateError.alreadyFinished(id: doomed.id, status: .cancelled)) {
            _ = try setup.queue.cancel(doomed.id)
        }
        #expect(throws: TrainingQueueError.notFound("job-nope")) { _ = try setup.queue.cancel("job-nope") }
        setup.queue.start()
        #expect(JobsFixtures.eventually { setup.finished([kept.id]) })
        #expect(gate.started.map(\.seed) == [2])
        #expect(setup.queue.store.job(doomed.id)?.status == .cancelled)
    }

    /// A running job goes to cancelling, stops at its next step, and ends cancelled without a
    /// model or a checkpoint left behind.
    @Test func cancelWhileRunning() throws {
        let gate = StartGate(open: false)
        let setup = try Self.setup(factory: gate.factory())
        defer { setup.tearDown() }
        let job = try setup.queue.submit(Self.request(seed: 1))
        setup.queue.start()
        #expect(JobsFixtures.eventually { gate.started.count == 1 })
        let (cancelling, outcome) = try setup.queue.cancel(job.id)
        #expect(outcome == .cancelling && cancelling.status == .cancelling)
        #expect(JobsFixtures.eventually { setup.finished([job.id]) })
        let ended = try #require(setup.queue.store.job(job.id))
        #expect(ended.status == .cancelled && ended.modelID == nil)
        #expect(ended.transitions.map(\.status) == [.queued, .running, .cancelling, .cancelled])
        #expect(setup.registry.list().map(\.id) == ["shipped"])
        #expect(JobsFixtures.eventually { !FileManager.default.fileExists(atPath: setup.state.checkpointPath(job.id)) })
    }

    /// Missing training data fails the job with a reason that says what to fix.
    @Test func missingTrainingDataFailsTheJob() throws {
        let temporary = try TemporaryDirectory(prefix: "mnist-cnn-nodata")
        defer { temporary.remove() }
        for (directory, expected) in [(temporary.file("absent"), "training data is missing"),
                                      (nil, "--mnist-dir")] as [(String?, String)] {
            let setup = try Self.setup(factory: MNISTTrainerSource(directory: directory).factory)
            defer { setup.tearDown() }
            let job = try setup.queue.submit(Self.request(seed: 1))
            setup.queue.start()
            #expect(JobsFixtures.eventually { setup.finished([job.id]) })
            let failed = try #require(setup.queue.store.job(job.id))
            #expect(failed.status == .failed)
            // Anyone sees a short reason without paths; the full text is for the log and admins.
            #expect(failed.error == "the training data is missing or unreadable on the server")
            #expect(failed.errorDetail?.contains(expected) == true, "\(failed.errorDetail ?? "no detail")")
            #expect(failed.publicView.errorDetail == nil)
            let shown = String(decoding: try JobStore.encoded(failed.publicView), as: UTF8.self)
            #expect(!shown.contains(temporary.path), "a path in the public view: \(shown)")
        }
    }

    /// A time limit that runs out before the first epoch fails the job and says so.
    @Test func timeLimitBeforeTheFirstEpochFails() throws {
        let setup = try Self.setup(factory: StartGate(open: true).factory())
        defer { setup.tearDown() }
        let job = try setup.queue.submit(Self.request(seed: 1, maxRuntimeSeconds: 1e-9))
        setup.queue.start()
        #expect(JobsFixtures.eventually { setup.finished([job.id]) })
        let failed = try #require(setup.queue.store.job(job.id))
        #expect(failed.status == .failed && failed.error?.contains("max_runtime_seconds") == true)
    }

    /// A restart finds the files a killed process leaves: jobs that were running go first and
    /// resume from their checkpoint (or start over, saying why, when it is missing or corrupt),
    /// queued jobs follow in order, a job being cancelled ends cancelled, a corrupt job file is
    /// reported.
    /// A job found running at start whose process already died `maxAttempts` times is failed
    /// with the reason, without building its trainer; one with an attempt left resumes.
    @Test func attemptsAreCappedAcrossRestarts() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let before = JobStore(directory: state)
        func runningJob(_ name: String, attempts: Int, at time: Int64) throws -> TrainingJob {
            var job = TrainingJob(id: "job-\(name)", params: JobsFixtures.quickConfiguration(seed: UInt64(time)),
                                  request: .object([:]), activate: .never, now: RFC3339Date(milliseconds: time))
            for _ in 0..<attempts { job.countAttempt() }
            try job.start(at: RFC3339Date(milliseconds: time + 10))
            try before.save(job)
            return job
        }
        let poison = try runningJob("poison", attempts: 2, at: 1_000)
        let once = try runningJob("once", attempts: 1, at: 2_000)
        let gate = StartGate(open: true)
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        let queue = TrainingQueue(store: JobStore(directory: state), registry: registry, makeTrainer: gate.factory())
        defer { queue.shutdown() }
        #expect(queue.recover().isEmpty)
        queue.start()
        #expect(JobsFixtures.eventually { [poison.id, once.id].allSatisfy { queue.store.job($0)?.status.isFinished == true } })
        let failed = try #require(queue.store.job(poison.id))
        #expect(failed.status == .failed && failed.error?.contains("did not finish in 2 attempts") == true, "\(failed)")
        #expect(failed.attempts == 2)
        #expect(queue.store.job(once.id)?.status == .succeeded)
        #expect(queue.store.job(once.id)?.attempts == 2)
        #expect(gate.started.map(\.seed) == [2_000], "the poison job's trainer was never built")
    }

    @Test func restartRecovery() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let before = JobStore(directory: state)
        func job(_ name: String, seed: UInt64, epochs: Int = 1, at time: Int64, running: Bool = false) throws -> TrainingJob {
            var job = TrainingJob(id: "job-\(name)", params: JobsFixtures.quickConfiguration(epochs: epochs, seed: seed),
                                  request: .object([:]), activate: .never, now: RFC3339Date(milliseconds: time))
            if running { try job.start(at: RFC3339Date(milliseconds: time + 10)) }
            try before.save(job)
            return job
        }
        // Runs 1 of 2 epochs and saves the checkpoint the killed process left.
        let resumable = try job("resumable", seed: 11, epochs: 2, at: 1_000, running: true)
        let trainer = try Trainer(configuration: resumable.params, trainingSet: JobsFixtures.syntheticSet, testSet: nil)
        var saved: Checkpoint?
        _ = try trainer.run(observer: TrainingObserver(epochFinished: { _, checkpoint in saved = checkpoint },
                                                       shouldStop: { saved != nil }))
        try #require(saved).write(to: state.checkpointPath(resumable.id))
        let corrupt = try job("corrupt", seed: 12, at: 2_000, running: true)
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: state.checkpointPath(corrupt.id)))
        let unsaved = try job("unsaved", seed: 10, at: 500, running: true)
        let queuedFirst = try job("queued-1", seed: 13, at: 3_000)
        let queuedSecond = try job("queued-2", seed: 14, at: 4_000)
        var stopping = try job("stopping", seed: 15, at: 5_000, running: true)
        _ = try stopping.requestCancel(at: RFC3339Date(milliseconds: 6_000))
        try before.save(stopping)
        try Data("{\"id\": \"job-torn\", \"sta".utf8).write(to: URL(fileURLWithPath: state.jobPath("job-torn")))
        // What a kill during an atomic write leaves: a hidden temporary file, never renamed.
        let torn = state.jobsDirectory + "/.job-queued-3.json.tmp-4242-beef"
        try Data("{\"id\"".utf8).write(to: URL(fileURLWithPath: torn))

        let gate = StartGate(open: true)
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        let queue = TrainingQueue(store: JobStore(directory: state), registry: registry, makeTrainer: gate.factory())
        defer { queue.shutdown() }
        let problems = queue.recover()
        #expect(problems.map(\.path) == [state.jobPath("job-torn")])
        #expect(queue.queuedJobIDs == [unsaved.id, resumable.id, corrupt.id, queuedFirst.id, queuedSecond.id])
        #expect(queue.store.job(stopping.id)?.status == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: torn))

        queue.start()
        let ids = queue.queuedJobIDs
        #expect(JobsFixtures.eventually { ids.allSatisfy { queue.store.job($0)?.status.isFinished == true } })
        #expect(gate.started == [StartGate.Start(seed: 10, resumedAfterEpoch: nil),
                                 StartGate.Start(seed: 11, resumedAfterEpoch: 1),
                                 StartGate.Start(seed: 12, resumedAfterEpoch: nil),
                                 StartGate.Start(seed: 13, resumedAfterEpoch: nil),
                                 StartGate.Start(seed: 14, resumedAfterEpoch: nil)])
        for id in ids { #expect(queue.store.job(id)?.status == .succeeded, "\(id)") }

        let resumed = try #require(queue.store.job(resumable.id))
        #expect(resumed.metrics.map(\.epoch) == [1, 2])
        #expect(resumed.transitions.map(\.status) == [.queued, .running, .queued, .running, .succeeded])
        #expect(resumed.transitions[3].reason == "resuming from the checkpoint after epoch 1")
        let restarted = try #require(queue.store.job(corrupt.id))
        #expect(restarted.transitions[3].reason?.contains("checkpoint is unreadable") == true)
        #expect(restarted.transitions[3].reason?.contains("starting over") == true)
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: state.quarantineDirectory)
        #expect(quarantined.contains { $0.hasPrefix("\(corrupt.id).safetensors") })
        #expect(queue.store.job(unsaved.id)?.transitions[3].reason?.contains("no checkpoint was saved") == true)
    }

    /// A real job on a slice of MNIST: succeeded, registered, activated (policy `always`), so
    /// `/predict`'s slot now holds the new model.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
    func realTrainingJobOnMNIST() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let setup = try Self.setup(factory: MNISTTrainerSource(directory: directory).factory)
        defer { setup.tearDown() }
        let body = #"{"limit": 600, "epochs": 1, "architecture": "tiny", "batch_size": 32, "activate": "always"}"#
        let request = try TrainingRequest.parse(body: Array(body.utf8), threads: 1)
        let job = try setup.queue.submit(request)
        setup.queue.start()
        #expect(JobsFixtures.eventually { setup.finished([job.id]) })
        let done = try #require(setup.queue.store.job(job.id))
        #expect(done.status == .succeeded, "\(done.error ?? "")")
        let modelID = try #require(done.modelID)
        let accuracy = try #require(done.finalMetrics?.testAccuracy)
        #expect(accuracy > 0.3, "one epoch of 540 images should beat chance (0.1) clearly")
        #expect(done.metrics.count == 1 && done.metrics[0].testAccuracy != nil && done.progress?.fraction == 1)
        let record = try #require(setup.registry.record(modelID))
        #expect(record.jobID == job.id && record.metrics.testAccuracy == accuracy && record.active)
        #expect(record.architecture.architecture == .tiny)
        #expect(done.activate.activated == true && setup.slot.current?.id == modelID)
    }

    /// Progress shows at once but reaches the job file at most every `progressPersistInterval`
    /// seconds (by the injected clock), and always at the end of an epoch; the job's time
    /// stamps are the injected clock's wall time.
    @Test func progressPersistenceIsThrottled() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let clock = ManualTimeSource(wall: 1_800_000_000)
        let step = DispatchSemaphore(value: 0), reported = DispatchSemaphore(value: 0)
        let factory: TrainerFactory = { configuration, _ in
            ScriptedProgressRun(trainer: try Trainer(configuration: configuration, trainingSet: JobsFixtures.syntheticSet,
                                                     testSet: nil),
                                fractions: [0.25, 0.5], step: step, reported: reported)
        }
        let queue = TrainingQueue(store: JobStore(directory: state), registry: try JobsFixtures.registry(state, shipped: shipped),
                                  makeTrainer: factory, time: clock.source)
        defer { queue.shutdown() }
        _ = queue.recover()
        let job = try queue.submit(Self.request(seed: 1))
        #expect(job.createdAt == RFC3339Date(milliseconds: 1_800_000_000_000))
        queue.start()
        func onDisk() throws -> TrainingJob {
            try JSONDecoder().decode(TrainingJob.self, from: Data(contentsOf: URL(fileURLWithPath: state.jobPath(job.id))))
        }

        step.signal()
        reported.wait()
        #expect(queue.store.job(job.id)?.progress?.fraction == 0.25)
        #expect(try onDisk().progress == nil, "the first report comes within the interval of the start")
        clock.advance(by: queue.settings.progressPersistInterval)
        step.signal()
        reported.wait()
        #expect(try onDisk().progress?.fraction == 0.5)
        step.signal()
        #expect(JobsFixtures.eventually { queue.store.job(job.id)?.status == .succeeded })
        #expect(try onDisk().metrics.count == 1)
    }

    #if os(Linux)
    /// The runner lowers its own thread's priority only: the calling thread keeps its own.
    @Test func lowersOnlyTheRunnerThreadsPriority() {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let callerBefore = getpriority(which, 0)
        let result = JobsTestBox<Int32>(0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            TrainingQueue.lowerPriority(to: 10)
            result.value = getpriority(which, 0)
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(result.value == max(10, callerBefore))
        #expect(getpriority(which, 0) == callerBefore)
    }
    #endif
}

/// A value shared with another thread.
final class JobsTestBox<Value: Sendable>: Sendable {
    private let stored: Mutex<Value>
    init(_ value: Value) { stored = Mutex(value) }
    var value: Value {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

/// Reports the given progress fractions one by one, each when the test signals `step`
/// (signalling `reported` after each), then trains for real.
final class ScriptedProgressRun: TrainingRun {
    let trainer: Trainer
    let fractions: [Double]
    let step: DispatchSemaphore
    let reported: DispatchSemaphore

    init(trainer: Trainer, fractions: [Double], step: DispatchSemaphore, reported: DispatchSemaphore) {
        self.trainer = trainer
        self.fractions = fractions
        self.step = step
        self.reported = reported
    }

    func run(observer: TrainingObserver) throws -> TrainingResult {
        for fraction in fractions {
            step.wait()
            observer.progress(try JSONDecoder().decode(TrainingProgress.self, from: Data("""
                {"epoch": 1, "epochs": 1, "step": 1, "steps": 4, "fraction": \(fraction), "images_per_second": 100,
                 "eta_seconds": 1, "loss": 2}
                """.utf8)))
            reported.signal()
        }
        step.wait()
        return try trainer.run(observer: observer)
    }
}
