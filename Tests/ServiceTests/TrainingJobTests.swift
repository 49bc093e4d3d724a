import Foundation
import TensorCore
import Testing
import Training
@testable import Service

@Suite struct TrainingJobTests {
    static let t0 = RFC3339Date(milliseconds: 1_795_000_000_000)

    static func job() -> TrainingJob {
        TrainingJob(id: "job-1", params: TrainingRequest.serviceDefaults, request: .object(["epochs": .integer(3)]),
                    activate: .ifBetter, now: t0)
    }

    static func at(_ seconds: Int64) -> RFC3339Date { RFC3339Date(milliseconds: t0.milliseconds + seconds * 1000) }

    /// queued → running → succeeded records each step with its time and the outcome.
    @Test func successfulLifecycle() throws {
        var job = Self.job()
        #expect(job.status == .queued && job.transitions.map(\.status) == [.queued])
        try job.start(at: Self.at(1))
        #expect(job.startedAt == Self.at(1) && job.finishedAt == nil)
        let final = TrainingJob.FinalMetrics(testAccuracy: 0.99, validationAccuracy: 0.98, trainAccuracy: 0.97, loss: 0.1,
                                             epochsCompleted: 3, stopReason: .completed, trainingSeconds: 60)
        try job.succeed(modelID: "model-1", finalMetrics: final, activated: true, activationReason: "better", at: Self.at(61))
        #expect(job.status == .succeeded && job.modelID == "model-1" && job.finishedAt == Self.at(61))
        #expect(job.activate == ActivationOutcome(policy: .ifBetter, activated: true, reason: "better"))
        #expect(job.transitions.map(\.status) == [.queued, .running, .succeeded])
        #expect(job.transitions.map(\.at) == [Self.t0, Self.at(1), Self.at(61)])
    }

    /// Every transition not in the table is refused and leaves the job unchanged.
    @Test(arguments: TrainingJob.Status.allCases)
    func illegalTransitionsAreRefused(from status: TrainingJob.Status) throws {
        let job = try Self.job(in: status)
        for next in TrainingJob.Status.allCases {
            var copy = job
            if status.allowedNext.contains(next) {
                try copy.transition(to: next, at: Self.at(9))
                #expect(copy.status == next)
            } else {
                #expect(throws: JobStateError.illegalTransition(id: "job-1", from: status, to: next)) {
                    try copy.transition(to: next, at: Self.at(9))
                }
                #expect(copy == job)
            }
        }
    }

    /// The table itself: finished states are final, and running → queued is the only way back.
    @Test func transitionTable() {
        for status in [TrainingJob.Status.succeeded, .failed, .cancelled] { #expect(status.allowedNext.isEmpty) }
        #expect(TrainingJob.Status.queued.allowedNext == [.running, .cancelled, .failed])
        #expect(TrainingJob.Status.cancelling.allowedNext == [.cancelled, .failed])
        #expect(!TrainingJob.Status.cancelling.allowedNext.contains(.succeeded))
    }

    static func job(in status: TrainingJob.Status) throws -> TrainingJob {
        var job = job()
        switch status {
        case .queued: break
        case .running: try job.start(at: at(1))
        case .cancelling: try job.start(at: at(1)); _ = try job.requestCancel(at: at(2))
        case .succeeded:
            try job.start(at: at(1))
            try job.succeed(modelID: "m", finalMetrics: .init(testAccuracy: nil, validationAccuracy: nil, trainAccuracy: nil,
                                                              loss: nil, epochsCompleted: 1, stopReason: .completed,
                                                              trainingSeconds: 1),
                            activated: false, activationReason: "never", at: at(2))
        case .failed: try job.fail(reason: "boom", at: at(1))
        case .cancelled: _ = try job.requestCancel(at: at(1))
        }
        #expect(job.status == status)
        return job
    }

    /// Cancel: a queued job at once, a running one via cancelling, a finished one never.
    @Test func cancelRequests() throws {
        var queued = Self.job()
        #expect(try queued.requestCancel(at: Self.at(1)) == .cancelled)
        #expect(queued.status == .cancelled && queued.finishedAt == Self.at(1))

        var running = try Self.job(in: .running)
        #expect(try running.requestCancel(at: Self.at(2)) == .cancelling)
        #expect(try running.requestCancel(at: Self.at(3)) == .cancelling)
        #expect(running.transitions.map(\.status) == [.queued, .running, .cancelling])

        for status in [TrainingJob.Status.succeeded, .failed, .cancelled] {
            var finished = try Self.job(in: status)
            #expect(throws: JobStateError.alreadyFinished(id: "job-1", status: status)) {
                _ = try finished.requestCancel(at: Self.at(5))
            }
        }
    }

    /// Only a running job goes back to the queue after a restart; its first start time stays.
    @Test func requeueAfterRestart() throws {
        var running = try Self.job(in: .running)
        try running.requeueAfterRestart(at: Self.at(30))
        #expect(running.status == .queued && running.transitions.last?.reason?.contains("restarted") == true)
        try running.start(at: Self.at(31))
        #expect(running.startedAt == Self.at(1))
        var queued = Self.job()
        #expect(throws: JobStateError.self) { try queued.requeueAfterRestart(at: Self.at(1)) }
    }

    /// The JSON uses the contract's names, RFC 3339 times, and reads back equal.
    @Test func jsonFormAndRoundTrip() throws {
        var job = try Self.job(in: .running)
        job.progress = try JSONDecoder().decode(TrainingProgress.self, from: Data("""
            {"epoch": 1, "epochs": 3, "step": 5, "steps": 10, "fraction": 0.1667, "images_per_second": 900,
             "eta_seconds": 12, "loss": 0.5}
            """.utf8))
        try job.fail(reason: "training data is missing", at: Self.at(5))
        let bytes = try JobStore.encoded(job)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        for key in ["id", "status", "created_at", "started_at", "finished_at", "params", "request", "progress", "metrics",
                    "error", "activate", "transitions"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["created_at"] as? String == "2026-11-18T11:06:40.000Z")
        #expect((object["params"] as? [String: Any])?["architecture"] as? String == "keras-example")
        #expect((object["progress"] as? [String: Any])?["eta_seconds"] != nil)
        #expect((object["activate"] as? [String: Any])?["policy"] as? String == "if_better")
        #expect(try JSONDecoder().decode(TrainingJob.self, from: Data(bytes)) == job)
    }
}

@Suite struct TrainingRequestTests {
    static func parse(_ body: String) throws -> TrainingRequest {
        try TrainingRequest.parse(body: Array(body.utf8), threads: 1)
    }

    /// An empty body or `{}` takes the documented service defaults and if_better.
    @Test func defaults() throws {
        for body in ["", "  \n", "{}"] {
            let request = try Self.parse(body)
            var expected = TrainingRequest.serviceDefaults
            expected.threads = 1
            #expect(request.configuration == expected)
            #expect(request.activate == .ifBetter && request.raw == .object([:]))
        }
        #expect(TrainingRequest.serviceDefaults.architecture == .kerasExample)
        #expect(TrainingRequest.serviceDefaults.epochs == 3)
    }

    /// Every field is read, a layer list is accepted, and the body is kept as given.
    @Test func everyField() throws {
        let body = """
        {"epochs": 2, "batch_size": 64, "learning_rate": 0.01, "optimizer": "sgd", "schedule": "cosine",
         "weight_decay": 0.001, "seed": 18446744073709551615, "augment": true, "validation_split": 0.2, "limit": 600,
         "max_runtime_seconds": 90, "label_smoothing": 0, "initialization": "glorot", "activate": "always",
         "architecture": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"},
                          {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
        """
        let request = try Self.parse(body)
        let c = request.configuration
        #expect(c.epochs == 2 && c.batchSize == 64 && c.learningRate == 0.01 && c.optimizer == .sgd)
        #expect(c.schedule == .cosine && c.weightDecay == 0.001 && c.seed == UInt64.max && c.augment)
        #expect(c.validationSplit == 0.2 && c.limit == 600 && c.maxRuntimeSeconds == 90 && c.labelSmoothing == 0)
        #expect(c.initialization == .glorot && c.architecture.layers.count == 4 && c.threads == 1)
        #expect(request.activate == .always)
        guard case .object(let raw) = request.raw else { Issue.record("raw is not an object"); return }
        #expect(raw["limit"] == .integer(600) && raw["activate"] == .string("always"))
        #expect(try Self.parse(#"{"limit": null, "architecture": "tiny"}"#).configuration.architecture == .tiny)
    }

    struct BadBody: Sendable, CustomTestStringConvertible {
        var body: String
        var status: Int
        /// The field the error must name (nil for a body that is not an object).
        var field: String?
        var testDescription: String { body }
    }

    static let badBodies: [BadBody] = [
        BadBody(body: "not json", status: 400, field: nil),
        BadBody(body: "{\"epochs\": 3", status: 400, field: nil),
        BadBody(body: "[1, 2]", status: 400, field: nil),
        BadBody(body: "42", status: 400, field: nil),
        BadBody(body: #"{"epoch": 3}"#, status: 400, field: "epoch"),
        BadBody(body: #"{"threads": 4}"#, status: 400, field: "threads"),
        BadBody(body: #"{"epochs": "3"}"#, status: 400, field: "epochs"),
        BadBody(body: #"{"epochs": 2.5}"#, status: 400, field: "epochs"),
        BadBody(body: #"{"epochs": 0}"#, status: 422, field: "epochs"),
        BadBody(body: #"{"epochs": 1e30}"#, status: 422, field: "epochs"),
        BadBody(body: #"{"batch_size": true}"#, status: 400, field: "batch_size"),
        BadBody(body: #"{"batch_size": 5000}"#, status: 422, field: "batch_size"),
        BadBody(body: #"{"learning_rate": "fast"}"#, status: 400, field: "learning_rate"),
        BadBody(body: #"{"learning_rate": -0.1}"#, status: 422, field: "learning_rate"),
        BadBody(body: #"{"optimizer": 1}"#, status: 400, field: "optimizer"),
        BadBody(body: #"{"optimizer": "rmsprop"}"#, status: 422, field: "optimizer"),
        BadBody(body: #"{"schedule": "linear"}"#, status: 422, field: "schedule"),
        BadBody(body: #"{"weight_decay": 2}"#, status: 422, field: "weight_decay"),
        BadBody(body: #"{"seed": -1}"#, status: 422, field: "seed"),
        BadBody(body: #"{"seed": "1"}"#, status: 400, field: "seed"),
        BadBody(body: #"{"augment": 1}"#, status: 400, field: "augment"),
        BadBody(body: #"{"architecture": "resnet"}"#, status: 422, field: "architecture"),
        BadBody(body: #"{"architecture": 5}"#, status: 400, field: "architecture"),
        BadBody(body: #"{"architecture": [{"type": "flatten"}, {"type": "linear", "out_features": 7}]}"#,
                status: 422, field: "architecture"),
        BadBody(body: #"{"architecture": [{"type": "warp"}]}"#, status: 422, field: "architecture"),
        BadBody(body: #"{"validation_split": 1}"#, status: 422, field: "validation_split"),
        BadBody(body: #"{"limit": 0}"#, status: 422, field: "limit"),
        BadBody(body: #"{"max_runtime_seconds": 0}"#, status: 422, field: "max_runtime_seconds"),
        BadBody(body: #"{"max_runtime_seconds": [1]}"#, status: 400, field: "max_runtime_seconds"),
        BadBody(body: #"{"label_smoothing": 1}"#, status: 422, field: "label_smoothing"),
        BadBody(body: #"{"activate": "sometimes"}"#, status: 422, field: "activate"),
        BadBody(body: #"{"activate": true}"#, status: 400, field: "activate"),
    ]

    /// Each bad body is refused with 400 (syntax, type, unknown field) or 422 (value), naming
    /// the field.
    @Test(arguments: badBodies)
    func badBodyIsRefused(_ bad: BadBody) {
        let error = #expect(throws: TrainingRequestError.self) { try Self.parse(bad.body) }
        #expect(error?.status == bad.status)
        #expect(error?.field == bad.field)
        if let field = bad.field { #expect(error?.description.contains(field) == true) }
    }
}
