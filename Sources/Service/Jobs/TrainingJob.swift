import Training

/// One training job, exactly as `GET /train/{id}` shows it and as `<state-dir>/jobs/<id>.json`
/// stores it.
///
/// A value type whose mutating methods are the only way to change `status`: each checks the
/// transition against `Status.allowedNext` and throws `JobStateError` on an illegal one, and
/// each records the transition with its time. The queue holds jobs in memory and persists
/// them after each change; nothing here does I/O or knows about threads.
public struct TrainingJob: Codable, Hashable, Sendable {
    public enum Status: String, Codable, CaseIterable, Sendable {
        case queued, running, cancelling, succeeded, failed, cancelled

        /// The statuses a job may move to from this one.
        ///
        /// `running → queued` happens only when a restarted service finds a job that was running
        /// when the process died: it goes back to the head of the queue to resume.
        public var allowedNext: Set<Status> {
            switch self {
            case .queued: return [.running, .cancelled, .failed]
            case .running: return [.cancelling, .succeeded, .failed, .cancelled, .queued]
            case .cancelling: return [.cancelled, .failed]
            case .succeeded, .failed, .cancelled: return []
            }
        }

        /// Whether the job is over (no transition leaves this status).
        public var isFinished: Bool { allowedNext.isEmpty }
    }

    /// One entry of `transitions`.
    public struct Transition: Codable, Hashable, Sendable {
        public var status: Status
        public var at: RFC3339Date
        /// Why, where it is not obvious (a restart, a resumed checkpoint, a failure).
        public var reason: String?

        public init(status: Status, at: RFC3339Date, reason: String? = nil) {
            self.status = status
            self.at = at
            self.reason = reason
        }
    }

    /// The figures of the finished job (`final_metrics`): the model as it was written.
    public struct FinalMetrics: Codable, Hashable, Sendable {
        public var testAccuracy: Double?
        public var validationAccuracy: Double?
        public var trainAccuracy: Double?
        public var loss: Float?
        public var epochsCompleted: Int
        /// `completed`, or `time_limit` when `max_runtime_seconds` ended the run.
        public var stopReason: StopReason
        public var trainingSeconds: Double

        public init(testAccuracy: Double?, validationAccuracy: Double?, trainAccuracy: Double?, loss: Float?,
                    epochsCompleted: Int, stopReason: StopReason, trainingSeconds: Double) {
            self.testAccuracy = testAccuracy
            self.validationAccuracy = validationAccuracy
            self.trainAccuracy = trainAccuracy
            self.loss = loss
            self.epochsCompleted = epochsCompleted
            self.stopReason = stopReason
            self.trainingSeconds = trainingSeconds
        }

        enum CodingKeys: String, CodingKey {
            case loss
            case testAccuracy = "test_accuracy", validationAccuracy = "validation_accuracy"
            case trainAccuracy = "train_accuracy", epochsCompleted = "epochs_completed"
            case stopReason = "stop_reason", trainingSeconds = "training_seconds"
        }
    }

    public let id: String
    public private(set) var status: Status
    public let createdAt: RFC3339Date
    /// When it first started running (kept across a resume after a restart).
    public private(set) var startedAt: RFC3339Date?
    public private(set) var finishedAt: RFC3339Date?
    /// The configuration as resolved (defaults filled in): what the trainer runs.
    public let params: TrainingConfiguration
    /// The body of `POST /train` as given.
    public let request: JSONDocument
    public var progress: TrainingProgress?
    /// One entry per finished epoch.
    public var metrics: [EpochMetrics]
    public private(set) var finalMetrics: FinalMetrics?
    public private(set) var modelID: String?
    /// Why it failed, in words safe to show anyone (no paths, no errno).
    public private(set) var error: String?
    /// The failure's full text (paths, errno), for the log and for admins
    /// (`GET /train/{id}` with the admin token); `publicView` leaves it out.
    public private(set) var errorDetail: String?
    public private(set) var activate: ActivationOutcome
    public private(set) var transitions: [Transition]
    /// How many times a process began to run it. A start that ended with the process gone
    /// (killed, out of memory) is not given back, so a job that takes its process down cannot
    /// be resumed forever (`TrainingQueue.Settings.maxAttempts`); a graceful shutdown gives its
    /// attempt back (`returnAttempt`).
    public private(set) var attempts: Int

    enum CodingKeys: String, CodingKey {
        case id, status, params, request, progress, metrics, error, activate, transitions, attempts
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case finalMetrics = "final_metrics", modelID = "model_id", errorDetail = "error_detail"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(Status.self, forKey: .status)
        createdAt = try container.decode(RFC3339Date.self, forKey: .createdAt)
        startedAt = try container.decodeIfPresent(RFC3339Date.self, forKey: .startedAt)
        finishedAt = try container.decodeIfPresent(RFC3339Date.self, forKey: .finishedAt)
        params = try container.decode(TrainingConfiguration.self, forKey: .params)
        request = try container.decode(JSONDocument.self, forKey: .request)
        progress = try container.decodeIfPresent(TrainingProgress.self, forKey: .progress)
        metrics = try container.decode([EpochMetrics].self, forKey: .metrics)
        finalMetrics = try container.decodeIfPresent(FinalMetrics.self, forKey: .finalMetrics)
        modelID = try container.decodeIfPresent(String.self, forKey: .modelID)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        errorDetail = try container.decodeIfPresent(String.self, forKey: .errorDetail)
        activate = try container.decode(ActivationOutcome.self, forKey: .activate)
        transitions = try container.decode([Transition].self, forKey: .transitions)
        // Files written before attempts were counted: every recorded start was one.
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts)
            ?? transitions.filter { $0.status == .running }.count
    }

    /// A new job, queued at `now`.
    public init(id: String, params: TrainingConfiguration, request: JSONDocument, activate: ActivationPolicy,
                now: RFC3339Date) {
        self.id = id
        status = .queued
        createdAt = now
        self.params = params
        self.request = request
        metrics = []
        self.activate = ActivationOutcome(policy: activate)
        transitions = [Transition(status: .queued, at: now)]
        attempts = 0
    }

    /// Moves to `next`, recording when and why.
    /// - Throws: `JobStateError.illegalTransition` when `status.allowedNext` does not contain `next`.
    public mutating func transition(to next: Status, at now: RFC3339Date, reason: String? = nil) throws {
        guard status.allowedNext.contains(next) else {
            throw JobStateError.illegalTransition(id: id, from: status, to: next)
        }
        status = next
        transitions.append(Transition(status: next, at: now, reason: reason))
        if next.isFinished { finishedAt = now }
    }

    /// queued → running. `reason` says whether it starts fresh or resumes a checkpoint.
    public mutating func start(at now: RFC3339Date, reason: String? = nil) throws {
        try transition(to: .running, at: now, reason: reason)
        if startedAt == nil { startedAt = now }
    }

    /// A process is about to build this job's network and run it: counted (and persisted by
    /// the caller) before anything is allocated, so a job whose network alone takes the process
    /// down is counted too.
    public mutating func countAttempt() {
        attempts += 1
    }

    /// A graceful shutdown interrupted the run: that start does not count against the job.
    public mutating func returnAttempt() {
        attempts = max(0, attempts - 1)
    }

    /// What `requestCancel` did.
    public enum CancelOutcome: Equatable, Sendable {
        /// It was queued and is now cancelled.
        case cancelled
        /// It is running and now stops at its next step.
        case cancelling
    }

    /// `DELETE /train/{id}`: a queued job is cancelled at once, a running one goes to
    /// `cancelling` (asking again while cancelling changes nothing).
    /// - Throws: `JobStateError.alreadyFinished` for a finished job.
    public mutating func requestCancel(at now: RFC3339Date) throws -> CancelOutcome {
        switch status {
        case .queued:
            try transition(to: .cancelled, at: now, reason: "cancelled before it started")
            return .cancelled
        case .running:
            try transition(to: .cancelling, at: now, reason: "cancel requested")
            return .cancelling
        case .cancelling:
            return .cancelling
        case .succeeded, .failed, .cancelled:
            throw JobStateError.alreadyFinished(id: id, status: status)
        }
    }

    /// running → succeeded with its model and what the activation policy did.
    public mutating func succeed(modelID: String, finalMetrics: FinalMetrics, activated: Bool, activationReason: String,
                                 at now: RFC3339Date) throws {
        try transition(to: .succeeded, at: now)
        self.modelID = modelID
        self.finalMetrics = finalMetrics
        activate.activated = activated
        activate.reason = activationReason
    }

    /// → failed with the reason (shown as `error`, and in the transition) and, when it says
    /// more than anyone should see, the full text (`error_detail`, admins only).
    public mutating func fail(reason: String, detail: String? = nil, at now: RFC3339Date) throws {
        try transition(to: .failed, at: now, reason: reason)
        error = reason
        errorDetail = detail
    }

    /// The job as a client without the admin token sees it: without `error_detail`.
    public var publicView: TrainingJob {
        var shown = self
        shown.errorDetail = nil
        return shown
    }

    /// running → queued after a restart: the job runs again first, from its checkpoint if usable.
    public mutating func requeueAfterRestart(at now: RFC3339Date) throws {
        guard status == .running else { throw JobStateError.illegalTransition(id: id, from: status, to: .queued) }
        try transition(to: .queued, at: now, reason: "the service restarted while it ran; it runs again first")
        progress = nil
    }
}

/// A job asked to do something its status does not allow.
public enum JobStateError: Error, Equatable, Sendable, CustomStringConvertible {
    case illegalTransition(id: String, from: TrainingJob.Status, to: TrainingJob.Status)
    case alreadyFinished(id: String, status: TrainingJob.Status)
    /// Its run is over and its model is being registered: too late to cancel.
    case finishing(id: String)

    public var description: String {
        switch self {
        case let .illegalTransition(id, from, to):
            return "job \(id) cannot go from \(from.rawValue) to \(to.rawValue)"
        case let .alreadyFinished(id, status):
            return "job \(id) has already finished (\(status.rawValue))"
        case .finishing(let id):
            return "job \(id) has finished training and its model is being registered; it can no longer be cancelled"
        }
    }
}
