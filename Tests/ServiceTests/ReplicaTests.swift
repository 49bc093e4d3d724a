import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// Two and three real `mnist-cnn serve` processes on one state directory, as replicas on a
/// shared volume run: one owns the training queue (the `queue.lock` lease), the others serve
/// and follow the active-model choice. Killing, restarting and activating through any of them
/// loses nothing and leaves no replica behind.
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"), .serialized)
struct ReplicaTests {
    typealias Server = RestartTests.Server

    /// The most an activation may take to reach another replica: the poll interval (1 s by
    /// default) plus loading and warming the model, with room for a loaded CI machine.
    static let convergenceBound = 2.5

    /// A small job: a tiny network on a slice of MNIST, a few seconds per epoch in a debug build.
    static func jobBody(epochs: Int, limit: Int = 2000, activate: String = "never") -> String {
        #"{"epochs": \#(epochs), "limit": \#(limit), "architecture": "tiny", "batch_size": 32, "validation_split": 0.1, "activate": "\#(activate)"}"#
    }

    struct Cluster {
        let binary: String
        let mnist: String
        let state: TemporaryDirectory

        init(_ prefix: String) throws {
            binary = try #require(RestartTests.binary, "mnist-cnn is not built next to the tests (swift build builds it)")
            mnist = try #require(try TestData.mnistDirectory())
            state = try TemporaryDirectory(prefix: prefix)
        }

        /// Starts a process on the shared state directory and waits until it is ready.
        func start(_ name: String, training: Bool) throws -> Server {
            let server = try Server(binary: binary, state: state.path, mnist: training ? mnist : nil,
                                    port: try RestartTests.freePort(), log: URL(fileURLWithPath: state.file("\(name).log")))
            try server.waitUntilReady()
            return server
        }
    }

    static func queueRole(_ server: Server) throws -> String? {
        try server.request("GET", "/train").body["queue"] as? String
    }

    static func servedModel(_ server: Server) throws -> String? {
        try server.request("GET", "/readyz").body["model"] as? String
    }

    /// Polls until `condition` holds and returns how long that took (fails after `seconds`).
    static func timeUntil(_ what: String, on server: Server, seconds: Double, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        try server.waitFor(what, seconds: seconds, condition)
        return Date().timeIntervalSince(start)
    }

    /// Three processes (owner, standby, read-only): a job trained through the owner shows on
    /// every replica; the model activated through the read-only one is served by all three
    /// within the bound, and `/readyz`, `/predict` and `/metrics` name it; only the owner takes
    /// job changes, and no replica takes an anonymous admin call.
    @Test func activationThroughAnyReplicaReachesAll() throws {
        let cluster = try Cluster("replicas-activate")
        defer { cluster.state.remove() }
        let owner = try cluster.start("owner", training: true)
        defer { _ = owner.stop() }
        let standby = try cluster.start("standby", training: true)
        defer { _ = standby.stop() }
        let serving = try cluster.start("serving", training: false)
        defer { _ = serving.stop() }
        #expect(try Self.queueRole(owner) == "owner")
        #expect(try Self.queueRole(standby) == "standby")
        #expect(try Self.queueRole(serving) == "read-only")

        #expect(try standby.request("POST", "/train", json: Self.jobBody(epochs: 1)).status == 503)
        let submitted = try owner.request("POST", "/train", json: Self.jobBody(epochs: 1, limit: 1000))
        #expect(submitted.status == 202)
        let id = try #require(submitted.body["id"] as? String)
        try owner.waitFor("the job to succeed", seconds: 180) {
            try owner.request("GET", "/train/\(id)").body["status"] as? String == "succeeded"
        }
        let model = try #require(try owner.request("GET", "/train/\(id)").body["model_id"] as? String)
        // The other replicas see the job and the model the owner wrote.
        for replica in [standby, serving] {
            try replica.waitFor("the job to show", seconds: Self.convergenceBound) {
                try replica.request("GET", "/train/\(id)").body["status"] as? String == "succeeded"
            }
            #expect(try replica.request("DELETE", "/train/\(id)").status == 503, "job changes go to the owner")
        }

        #expect(try serving.request("POST", "/models/\(model)/activate", anonymous: true).status == 401)
        let activated = try serving.request("POST", "/models/\(model)/activate")
        #expect(activated.status == 200, "\(activated.body)")
        #expect(try Self.servedModel(serving) == model)
        for replica in [owner, standby] {
            let delay = try Self.timeUntil("the replica to serve \(model)", on: replica, seconds: Self.convergenceBound) {
                try Self.servedModel(replica) == model
            }
            print("replica on port \(replica.port) served the activated model after \(String(format: "%.2f", delay)) s")
        }
        for replica in [owner, standby, serving] {
            let digit = [UInt8](repeating: 0, count: 784)
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(replica.port)/predict")!)
            request.httpMethod = "POST"
            request.httpBody = Data(digit)
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            let (data, _) = try RestartTests.fetch(request)
            let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(answer?["model"] as? String == model, "port \(replica.port)")
            let metrics = try RestartTests.fetch(URLRequest(url: URL(string: "http://127.0.0.1:\(replica.port)/metrics")!))
            #expect(String(decoding: metrics.data, as: UTF8.self).contains("model=\"\(model)\""), "port \(replica.port)")
        }
        // Back to the shipped model through the standby: all follow again.
        #expect(try standby.request("POST", "/models/shipped/activate").status == 200)
        for replica in [owner, serving] {
            try replica.waitFor("the replica to serve shipped", seconds: Self.convergenceBound) {
                try Self.servedModel(replica) == "shipped"
            }
        }
    }

    /// A serving replica restarted in the middle of a job leaves the job alone (no re-queue, no
    /// deleted checkpoint or temporary file); then the owner is killed with SIGKILL mid-epoch
    /// and the standby takes the queue over, resumes the job from its checkpoint and finishes
    /// it with every epoch's metrics.
    @Test func killedOwnerIsReplacedByTheStandbyAndTheJobResumes() throws {
        let cluster = try Cluster("replicas-failover")
        defer { cluster.state.remove() }
        let owner = try cluster.start("owner", training: true)
        defer { if owner.process.isRunning { _ = owner.stop() } }
        let standby = try cluster.start("standby", training: true)
        defer { _ = standby.stop() }
        var serving = try cluster.start("serving", training: false)
        defer { _ = serving.stop() }

        let submitted = try owner.request("POST", "/train", json: Self.jobBody(epochs: 5, limit: 3000))
        let id = try #require(submitted.body["id"] as? String)
        try owner.waitFor("the first epoch to finish", seconds: 180) {
            let job = try owner.request("GET", "/train/\(id)").body
            return ((job["metrics"] as? [Any])?.count ?? 0) >= 1 && job["status"] as? String == "running"
        }
        let firstEpoch = try #require((try owner.request("GET", "/train/\(id)").body["metrics"] as? [[String: Any]])?.first)

        // Restart the serving replica: the job must not notice.
        #expect(serving.stop() == 0)
        serving = try cluster.start("serving", training: false)
        let during = try owner.request("GET", "/train/\(id)").body
        #expect(during["status"] as? String == "running")
        #expect(((during["transitions"] as? [[String: Any]]) ?? []).count == 2, "queued, running: \(during)")
        #expect(FileManager.default.fileExists(atPath: cluster.state.file("checkpoints/\(id).safetensors")))

        owner.kill9()
        let takeover = try Self.timeUntil("the standby to take the queue over", on: standby, seconds: 10) {
            try Self.queueRole(standby) == "owner"
        }
        print("standby took the queue over \(String(format: "%.2f", takeover)) s after the owner was killed")
        try standby.waitFor("the job to finish on the new owner", seconds: 240) {
            let status = try standby.request("GET", "/train/\(id)").body["status"] as? String
            return status == "succeeded" || status == "failed"
        }
        let job = try standby.request("GET", "/train/\(id)").body
        #expect(job["status"] as? String == "succeeded", "\(job)")
        let metrics = job["metrics"] as? [[String: Any]] ?? []
        #expect(metrics.count == 5)
        #expect(metrics.first?["loss"] as? Double == firstEpoch["loss"] as? Double, "the epoch before the kill is kept")
        let reasons = ((job["transitions"] as? [[String: Any]]) ?? []).compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("resuming from the checkpoint after epoch") }, "\(reasons)")
        #expect(job["attempts"] as? Int == 2)
        // The serving replica shows the outcome and the model the new owner registered.
        let model = try #require(job["model_id"] as? String)
        try serving.waitFor("the model to show on the serving replica", seconds: Self.convergenceBound) {
            try serving.request("GET", "/models/\(model)").status == 200
        }
    }

    /// A rolling update of the trainer: the new pod starts as a standby, the old one gets
    /// SIGTERM mid-job and exits 0, the standby resumes the job from its checkpoint. The
    /// graceful stop does not use up one of the job's attempts.
    @Test func aGracefulStopHandsTheJobToTheStandby() throws {
        let cluster = try Cluster("replicas-rollout")
        defer { cluster.state.remove() }
        let old = try cluster.start("old", training: true)
        defer { if old.process.isRunning { _ = old.stop() } }
        let submitted = try old.request("POST", "/train", json: Self.jobBody(epochs: 5, limit: 3000))
        let id = try #require(submitted.body["id"] as? String)
        let new = try cluster.start("new", training: true)
        defer { _ = new.stop() }
        #expect(try Self.queueRole(new) == "standby")
        try old.waitFor("the first epoch to finish", seconds: 180) {
            ((try old.request("GET", "/train/\(id)").body["metrics"] as? [Any])?.count ?? 0) >= 1
        }
        #expect(old.stop() == 0)
        try new.waitFor("the job to finish on the new pod", seconds: 240) {
            let status = try new.request("GET", "/train/\(id)").body["status"] as? String
            return status == "succeeded" || status == "failed"
        }
        let job = try new.request("GET", "/train/\(id)").body
        #expect(job["status"] as? String == "succeeded", "\(job)")
        #expect((job["metrics"] as? [Any])?.count == 5)
        let reasons = ((job["transitions"] as? [[String: Any]]) ?? []).compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("resuming from the checkpoint after epoch") }, "\(reasons)")
        #expect(job["attempts"] as? Int == 1, "the graceful stop gave its attempt back")
        #expect(try Self.queueRole(new) == "owner")
    }

    /// A job whose process dies every time it runs (here: killed twice) is failed with the
    /// reason at the next start instead of being resumed a third time.
    @Test func aJobThatKillsItsProcessTwiceIsFailed() throws {
        let cluster = try Cluster("replicas-poison")
        defer { cluster.state.remove() }
        var trainer = try cluster.start("trainer", training: true)
        let submitted = try trainer.request("POST", "/train", json: Self.jobBody(epochs: 50, limit: 3000))
        let id = try #require(submitted.body["id"] as? String)
        for attempt in 1...2 {
            try trainer.waitFor("attempt \(attempt) to run", seconds: 60) {
                let job = try trainer.request("GET", "/train/\(id)").body
                return job["status"] as? String == "running" && job["attempts"] as? Int == attempt
            }
            trainer.kill9()
            trainer = try cluster.start("trainer", training: true)
        }
        defer { _ = trainer.stop() }
        try trainer.waitFor("the job to be failed", seconds: 30) {
            try trainer.request("GET", "/train/\(id)").body["status"] as? String == "failed"
        }
        let job = try trainer.request("GET", "/train/\(id)").body
        #expect((job["error"] as? String)?.contains("did not finish in 2 attempts") == true, "\(job)")
        #expect(job["attempts"] as? Int == 2)
    }
}
