import Platform
import Foundation
import ModelFile
import TensorCore
import Testing
import TestSupport
@testable import Training
@testable import Service

/// Fails the Nth file-system call of the state directory (SQLite's fault simulation, style.md
/// §5): once with a chosen errno (a transient fault), or from the Nth call on (the process
/// "crashed" between call N-1 and call N: nothing after it reaches the disk).
// Unchecked: the counters are only touched under `lock`.
final class FaultPlan: @unchecked Sendable {
    enum Mode: CustomStringConvertible {
        case once(Int32)
        case crash

        var description: String {
            switch self {
            case .once(let code): return "once(\(String(cString: strerror(code))))"
            case .crash: return "crash"
            }
        }
    }

    private let lock = NSLock()
    private var calls = 0
    private let failAt: Int
    private let mode: Mode
    private(set) var injected = false
    /// Calls count only once armed, so a test can set things up through the same file system.
    private var armed = false

    init(failAt: Int, mode: Mode) {
        self.failAt = failAt
        self.mode = mode
    }

    /// From now on, calls count (and fail as planned).
    func arm() { lock.withLock { armed = true } }

    /// The errno this call fails with, or nil to let it through.
    private func fault() -> Int32? {
        lock.withLock {
            guard armed else { return nil }
            calls += 1
            switch mode {
            case .once(let code):
                guard calls == failAt else { return nil }
                injected = true
                return code
            case .crash:
                guard calls >= failAt else { return nil }
                injected = true
                return EIO
            }
        }
    }

    private func failing<T: BinaryInteger>(_ code: Int32) -> T {
        errno = code
        return -1
    }

    var fileSystem: FileSystem {
        let real = FileSystem.posix
        return FileSystem(
            open: { path, flags, mode in self.fault().map { self.failing($0) } ?? real.open(path, flags, mode) },
            read: { descriptor, buffer in self.fault().map { self.failing($0) } ?? real.read(descriptor, buffer) },
            write: { descriptor, bytes in self.fault().map { self.failing($0) } ?? real.write(descriptor, bytes) },
            size: { descriptor in self.fault().map { self.failing($0) } ?? real.size(descriptor) },
            fsync: { descriptor in self.fault().map { self.failing($0) } ?? real.fsync(descriptor) },
            close: { descriptor in self.fault().map { self.failing($0) } ?? real.close(descriptor) },
            rename: { from, to in self.fault().map { self.failing($0) } ?? real.rename(from, to) },
            unlink: { path in self.fault().map { self.failing($0) } ?? real.unlink(path) },
            link: { from, to in self.fault().map { self.failing($0) } ?? real.link(from, to) })
    }

    /// Every mode a fault-simulation test runs: the three errnos the issue names, once, and a crash.
    static let modes: [Mode] = [.once(EIO), .once(ENOSPC), .once(EMFILE), .crash]

    /// Runs `body` with a plan failing call 1, 2, ... until a run injects no fault.
    /// - Returns: how many runs injected one.
    @discardableResult
    static func everyCall(_ mode: Mode, _ body: (FaultPlan) throws -> Void) rethrows -> Int {
        var failAt = 1
        while true {
            let plan = FaultPlan(failAt: failAt, mode: mode)
            try body(plan)
            if !plan.injected { return failAt - 1 }
            failAt += 1
        }
    }
}

/// The state directory under injected faults: an activation, a model registration, a job
/// submission and a checkpoint write each either happen whole or not at all, a change that
/// committed is reported as committed, and the next start (a fresh process on the same
/// directory) sees exactly what was reported.
@Suite struct StateFaultTests {
    /// The temporary files an interrupted write left in `directory` (and removes them, so the
    /// next run starts clean).
    static func leftoverTemporaryFiles(in directory: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains(".tmp-") }
        for name in names { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        return names
    }

    /// A process started on `state` after the fault: what it serves and what it found unusable.
    static func restart(_ state: StateDirectory, shipped: String) throws -> (registry: ModelRegistry, served: String,
                                                                            problems: [StateProblem]) {
        let registry = ModelRegistry(directory: StateDirectory(root: state.root), shippedModelPath: shipped, slot: ModelSlot())
        var problems = try registry.load()
        let (model, restoreProblems) = try registry.restoreActiveModel()
        problems += restoreProblems
        return (registry, model.id, problems)
    }

    /// Activation: for every call and mode, a failed activation leaves the old model served
    /// here and recorded for the next start; a returned one is served and recorded.
    @Test(arguments: FaultPlan.modes) func activation(_ mode: FaultPlan.Mode) throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let setup = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-a", in: setup, testAccuracy: 0.6)
        try JobsFixtures.register("model-b", in: setup, testAccuracy: 0.7)
        let runs = try FaultPlan.everyCall(mode) { plan in
            try setup.activate("model-a")
            let slot = ModelSlot()
            let registry = ModelRegistry(directory: StateDirectory(root: state.root, fileSystem: plan.fileSystem),
                                         shippedModelPath: shipped, slot: slot)
            _ = try registry.load(setAside: false)
            slot.swap(to: try registry.restoreActiveModel(setAside: false).model)
            plan.arm()
            let activated = (try? registry.activate("model-b")) != nil
            let expected = activated ? "model-b" : "model-a"
            #expect(slot.current?.id == expected, "\(mode) at call: served \(slot.current?.id ?? "-")")
            #expect(registry.activeModelID == expected)
            let leftovers = Self.leftoverTemporaryFiles(in: state.root)
            if case .once = mode { #expect(leftovers.isEmpty, "\(mode): \(leftovers)") }
            let next = try Self.restart(state, shipped: shipped)
            #expect(next.served == expected, "\(mode): reported \(expected), the next start serves \(next.served)")
            #expect(next.problems.isEmpty, "\(mode): \(next.problems)")
        }
        print("\(#function) \(mode): a fault injected at each of \(runs) calls")
        // open, write, fsync, close, rename, open dir, fsync dir, close dir.
        #expect(runs >= 8)
    }

    /// Registration: a model either registers whole (record and file, loadable at the next
    /// start) or not at all; a model file whose record never got written is the only thing the
    /// next start may find, and it says so and sets it aside.
    @Test(arguments: FaultPlan.modes) func registration(_ mode: FaultPlan.Mode) throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let network = try Network(architecture: .tiny, seed: 5)
        let runs = try FaultPlan.everyCall(mode) { plan in
            let registry = ModelRegistry(directory: StateDirectory(root: state.root, fileSystem: plan.fileSystem),
                                         shippedModelPath: shipped, slot: ModelSlot())
            _ = try registry.load(setAside: false)
            plan.arm()
            let registered = (try? registry.register(network: network, metadata: [TrainedModel.testAccuracyKey: "0.5"],
                                                     id: "model-c", jobID: "job-c",
                                                     createdAt: RFC3339Date(milliseconds: 1_000))) != nil
            #expect((registry.record("model-c") != nil) == registered)
            _ = Self.leftoverTemporaryFiles(in: state.modelsDirectory)
            let next = try Self.restart(state, shipped: shipped)
            if registered {
                #expect(next.registry.record("model-c") != nil, "\(mode): registered but gone at the next start")
                #expect(next.problems.isEmpty, "\(mode): \(next.problems)")
            } else {
                #expect(next.registry.record("model-c") == nil, "\(mode): failed but registered at the next start")
                #expect(next.problems.allSatisfy { $0.reason.contains("without a record") }, "\(mode): \(next.problems)")
            }
            for path in [state.modelPath("model-c"), state.modelRecordPath("model-c")] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        print("\(#function) \(mode): a fault injected at each of \(runs) calls")
        #expect(runs >= 16)
    }

    /// Submission: a job whose file was written is reported queued (even when only the
    /// directory sync after the rename failed); a job reported failed is not there at the next start.
    @Test(arguments: FaultPlan.modes) func submission(_ mode: FaultPlan.Mode) throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let runs = try FaultPlan.everyCall(mode) { plan in
            let faulty = StateDirectory(root: state.root, fileSystem: plan.fileSystem)
            let registry = ModelRegistry(directory: faulty, shippedModelPath: shipped, slot: ModelSlot())
            _ = try registry.load(setAside: false)
            let queue = TrainingQueue(store: JobStore(directory: faulty), registry: registry,
                                      makeTrainer: StartGate(open: false).factory())
            plan.arm()
            let job = try? queue.submit(TrainingQueueTests.request(seed: 1))
            _ = Self.leftoverTemporaryFiles(in: state.jobsDirectory)
            let next = JobStore(directory: StateDirectory(root: state.root))
            #expect(next.load().isEmpty)
            #expect(next.all().map(\.id) == (job.map { [$0.id] } ?? []), "\(mode): reported \(job?.id ?? "a failure")")
            for name in state.files(in: state.jobsDirectory, suffix: ".json") {
                try FileManager.default.removeItem(atPath: state.jobsDirectory + "/" + name)
            }
        }
        print("\(#function) \(mode): a fault injected at each of \(runs) calls")
        #expect(runs >= 8)
    }

    /// Start-up reads: a job file, model record, model file or active-model choice that cannot
    /// be read (EIO, EMFILE, or every read failing) is reported and left in place, never set
    /// aside as corrupt, so the next start finds everything again.
    @Test(arguments: FaultPlan.modes) func startUpReads(_ mode: FaultPlan.Mode) throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let setup = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-a", in: setup, testAccuracy: 0.6)
        try setup.activate("model-a")
        let jobs = JobStore(directory: state)
        for seed in 1...2 {
            try jobs.save(TrainingJob(id: "job-\(seed)", params: JobsFixtures.quickConfiguration(seed: UInt64(seed)),
                                      request: .object([:]), activate: .never, now: RFC3339Date(milliseconds: Int64(seed))))
        }
        let runs = try FaultPlan.everyCall(mode) { plan in
            let faulty = StateDirectory(root: state.root, fileSystem: plan.fileSystem)
            plan.arm()
            let registry = ModelRegistry(directory: faulty, shippedModelPath: shipped, slot: ModelSlot())
            var problems = (try? registry.load(setAside: true)) ?? []
            problems += (try? registry.restoreActiveModel(setAside: true))?.problems ?? []
            problems += JobStore(directory: faulty).load(setAside: true)
            #expect(problems.allSatisfy { $0.quarantinedTo == nil }, "\(mode): set aside for a read fault: \(problems)")
            #expect(problems.isEmpty || plan.injected)
            #expect(try FileManager.default.contentsOfDirectory(atPath: state.quarantineDirectory).isEmpty)
            let next = try Self.restart(state, shipped: shipped)
            #expect(next.served == "model-a" && next.problems.isEmpty, "\(mode): \(next.problems)")
            #expect(JobStore(directory: state).load().isEmpty)
        }
        #expect(runs >= 12)
        print("\(#function) \(mode): a fault injected at each of \(runs) calls")
    }

    /// Checkpoints: a transient fault on any call is retried and the new checkpoint lands; a
    /// lasting one ("crash") fails after the retries with the last good checkpoint intact and
    /// readable, unless the new one had already committed.
    @Test(arguments: FaultPlan.modes) func checkpointWrite(_ mode: FaultPlan.Mode) throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let path = state.checkpointPath("job-x")
        func checkpoint(epochs: Int) -> Checkpoint {
            var configuration = JobsFixtures.quickConfiguration(epochs: 3)
            configuration.epochs = 3
            let metrics = try! JSONDecoder().decode(EpochMetrics.self, from: Data(
                #"{"epoch": 1, "loss": 1, "train_accuracy": 0.5, "seconds": 1, "learning_rate": 0.001, "images_per_second": 1}"#.utf8))
            return Checkpoint(configuration: configuration, completedEpochs: epochs, optimizerStep: 10 * epochs,
                              parameters: [Float](repeating: Float(epochs), count: 64), state: [], firstMoment: [0],
                              secondMoment: [0], history: Array(repeating: metrics, count: epochs))
        }
        let runs = try FaultPlan.everyCall(mode) { plan in
            try checkpoint(epochs: 1).write(to: path)
            let faulty = StateDirectory(root: state.root, fileSystem: plan.fileSystem)
            let registry = ModelRegistry(directory: faulty, shippedModelPath: shipped, slot: ModelSlot())
            var settings = TrainingQueue.Settings()
            settings.writeRetryDelay = 0.001
            let queue = TrainingQueue(store: JobStore(directory: faulty), registry: registry, settings: settings,
                                      makeTrainer: StartGate(open: false).factory())
            var thrown = false
            plan.arm()
            do {
                try queue.writeWithRetries(try checkpoint(epochs: 2).encoded(), to: path, job: "job-x")
            } catch {
                thrown = true
            }
            _ = Self.leftoverTemporaryFiles(in: state.checkpointsDirectory)
            let onDisk = try Checkpoint.read(from: path)
            if case .once = mode {
                #expect(!thrown, "\(mode): a transient fault was not retried")
            }
            #expect(onDisk.completedEpochs == (thrown ? 1 : 2), "\(mode): threw \(thrown), found \(onDisk.completedEpochs)")
        }
        print("\(#function) \(mode): a fault injected at each of \(runs) calls")
        #expect(runs >= 8)
    }
}

/// A disk that fills up in the middle of a job.
@Suite struct CheckpointFailureTests {
    /// Every checkpoint write after the first fails with ENOSPC: the job retries each one
    /// (`writeRetries`), then fails saying so in words fit for anyone (the errno in
    /// `error_detail`), and its last good checkpoint, after epoch 1, is still there to resume.
    @Test func aFullDiskFailsTheJobAndKeepsTheLastCheckpoint() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        let checkpointOpens = JobsTestBox(0)
        let real = FileSystem.posix
        var full = real
        full.open = { path, flags, mode in
            if path.hasPrefix(state.checkpointsDirectory + "/"), flags & O_CREAT != 0 {
                checkpointOpens.value += 1
                if checkpointOpens.value > 1 {
                    errno = ENOSPC
                    return -1
                }
            }
            return real.open(path, flags, mode)
        }
        let disk = StateDirectory(root: state.root, fileSystem: full)
        let registry = try JobsFixtures.registry(disk, shipped: shipped)
        var settings = TrainingQueue.Settings()
        settings.threads = 1
        settings.writeRetryDelay = 0.001
        let queue = TrainingQueue(store: JobStore(directory: disk), registry: registry, settings: settings,
                                  makeTrainer: StartGate(open: true).factory())
        defer { queue.shutdown() }
        #expect(queue.recover().isEmpty)
        let job = try queue.submit(TrainingQueueTests.request(seed: 3, epochs: 3))
        queue.start()
        #expect(JobsFixtures.eventually { queue.store.job(job.id)?.status.isFinished == true })
        let failed = try #require(queue.store.job(job.id))
        #expect(failed.status == .failed)
        #expect(failed.error?.contains("could not be written or read") == true, "\(failed.error ?? "")")
        #expect(failed.errorDetail?.contains("No space left on device") == true, "\(failed.errorDetail ?? "")")
        #expect(checkpointOpens.value == 1 + 1 + settings.writeRetries, "the second checkpoint was tried 1 + retries times")
        let kept = try Checkpoint.read(from: state.checkpointPath(job.id))
        #expect(kept.completedEpochs == 1)
        #expect(failed.metrics.count == 1)
    }
}

/// A checkpoint that cannot be read for a moment at resume.
@Suite struct CheckpointReadTests {
    /// Resumes a job killed after epoch 1 of 2 while opening its checkpoint fails
    /// `failures` times with EIO.
    static func resume(failures: Int) throws -> (job: TrainingJob, checkpointKept: Bool, quarantined: [String]) {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory()
        defer { temporary.remove() }
        var job = TrainingJob(id: "job-resume", params: JobsFixtures.quickConfiguration(epochs: 2, seed: 5),
                              request: .object([:]), activate: .never, now: RFC3339Date(milliseconds: 1_000))
        try job.start(at: RFC3339Date(milliseconds: 1_010))
        try JobStore(directory: state).save(job)
        let trainer = try Trainer(configuration: job.params, trainingSet: JobsFixtures.syntheticSet, testSet: nil)
        var saved: Checkpoint?
        _ = try trainer.run(observer: TrainingObserver(epochFinished: { _, checkpoint in saved = checkpoint },
                                                       shouldStop: { saved != nil }))
        try #require(saved).write(to: state.checkpointPath(job.id))

        let remaining = JobsTestBox(failures)
        let real = FileSystem.posix
        var flaky = real
        let checkpointPath = state.checkpointPath(job.id)
        flaky.open = { path, flags, mode in
            if path == checkpointPath, flags & O_CREAT == 0, remaining.value > 0 {
                remaining.value -= 1
                errno = EIO
                return -1
            }
            return real.open(path, flags, mode)
        }
        let disk = StateDirectory(root: state.root, fileSystem: flaky)
        var settings = TrainingQueue.Settings()
        settings.threads = 1
        settings.writeRetryDelay = 0.001
        let queue = TrainingQueue(store: JobStore(directory: disk), registry: try JobsFixtures.registry(disk, shipped: shipped),
                                  settings: settings, makeTrainer: StartGate(open: true).factory())
        defer { queue.shutdown() }
        #expect(queue.recover().isEmpty)
        queue.start()
        #expect(JobsFixtures.eventually { queue.store.job(job.id)?.status.isFinished == true })
        return (try #require(queue.store.job(job.id)), FileManager.default.fileExists(atPath: state.checkpointPath(job.id)),
                try FileManager.default.contentsOfDirectory(atPath: state.quarantineDirectory))
    }

    /// Two failed opens are retried away: the job resumes after epoch 1 and finishes.
    @Test func aTransientReadFaultIsRetried() throws {
        let (job, _, quarantined) = try Self.resume(failures: 2)
        #expect(job.status == .succeeded)
        #expect(job.transitions.contains { $0.reason?.contains("resuming from the checkpoint after epoch 1") == true })
        #expect(quarantined.isEmpty)
    }

    /// A checkpoint that stays unreadable is neither set aside nor trained over: the job fails
    /// saying so and the file stays.
    @Test func aLastingReadFaultKeepsTheCheckpoint() throws {
        let (job, kept, quarantined) = try Self.resume(failures: 1_000)
        #expect(job.status == .failed)
        #expect(job.error?.contains("could not be read") == true, "\(job.error ?? "")")
        #expect(kept)
        #expect(quarantined.isEmpty)
    }
}
