import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The real binary, killed with SIGKILL in the middle of a training job and started again on
/// the same state directory: nothing is lost. The running job resumes from its last epoch
/// checkpoint (or is failed with the reason), the queued one still runs, both end recorded.
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"), .serialized)
struct RestartTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `mnist-cnn` as built next to this test bundle.
    static var binary: String? {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("mnist-cnn").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mnist-cnn").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else { throw POSIXError(.EADDRINUSE) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// One request's body and response, synchronously.
    static func fetch(_ request: URLRequest) throws -> (data: Data, response: HTTPURLResponse?) {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Data, HTTPURLResponse?)?
        nonisolated(unsafe) var failure: Error?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else { result = (data ?? Data(), response as? HTTPURLResponse) }
            semaphore.signal()
        }.resume()
        semaphore.wait()
        if let failure { throw failure }
        return try #require(result)
    }

    /// One `mnist-cnn serve` process on loopback. Admin requests carry the token the first
    /// process generated into the state directory (`<state>/admin-token`).
    final class Server {
        let process = Process()
        let port: Int
        let log: URL
        let state: String

        /// - Parameter mnist: training data, or nil for a serving-only (read-only queue) process.
        init(binary: String, state: String, mnist: String?, port: Int, log: URL, extra: [String] = []) throws {
            self.port = port
            self.log = log
            self.state = state
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--state-dir", state,
                                 "--training-threads", "1", "--inference-threads", "1", "--log-level", "info",
                                 "--model", RestartTests.packageRoot.appendingPathComponent("models/mnist-cnn.safetensors").path]
                + (mnist.map { ["--mnist-dir", $0] } ?? []) + extra
            // Only the flags decide: the test's own MNIST_DIR would give every process training data.
            var environment = ProcessInfo.processInfo.environment
            for name in ["MNIST_DIR", "MNIST_CNN_ADMIN_TOKEN", "MNIST_CNN_STATE_DIR"] { environment[name] = nil }
            process.environment = environment
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        /// The admin token the service generated (read each time: the first process writes it).
        var adminToken: String {
            (try? String(contentsOfFile: state + "/admin-token", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }

        /// One request; a non-GET carries the admin token unless `anonymous`.
        func request(_ method: String, _ path: String, json: String? = nil,
                     anonymous: Bool = false) throws -> (status: Int, body: [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.timeoutInterval = 10
            if method != "GET" && !anonymous {
                request.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
            }
            if let json {
                request.httpBody = Data(json.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let semaphore = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: (Int, [String: Any])?
            nonisolated(unsafe) var failure: Error?
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { failure = error } else {
                    let object = (try? JSONSerialization.jsonObject(with: data ?? Data())) as? [String: Any] ?? [:]
                    result = ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
                }
                semaphore.signal()
            }.resume()
            semaphore.wait()
            if let failure { throw failure }
            return try #require(result)
        }

        /// Polls until `condition` holds (or the deadline passes, which fails the test).
        func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? condition()) == true { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            let tail = (try? String(contentsOf: log, encoding: .utf8))?.suffix(2000) ?? ""
            Issue.record("timed out waiting for \(what); server log:\n\(tail)")
            throw CancellationError()
        }

        func waitUntilReady() throws {
            try waitFor("readiness", seconds: 30) { try request("GET", "/readyz").status == 200 }
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// SIGTERM, then up to 30 s to drain; a server that does not stop is killed and reported.
        func stop() -> Int32 {
            if process.isRunning {
                process.terminate()
                let deadline = Date().addingTimeInterval(30)
                while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                if process.isRunning {
                    Issue.record("the server did not exit within 30 s of SIGTERM")
                    kill(process.processIdentifier, SIGKILL)
                }
                process.waitUntilExit()
            }
            return process.terminationStatus
        }
    }

    @Test func aKilledServiceLosesNoJob() throws {
        let binary = try #require(Self.binary, "mnist-cnn is not built next to the tests (swift build builds it)")
        let mnist = try #require(try TestData.mnistDirectory())
        let state = try TemporaryDirectory(prefix: "restart")
        defer { state.remove() }
        let log = URL(fileURLWithPath: state.file("server.log"))
        // Three epochs of a small network on a slice: slow enough to kill mid-run, quick to finish.
        let body = #"{"epochs": 3, "limit": 3000, "architecture": "tiny", "batch_size": 32, "validation_split": 0.1, "activate": "never"}"#

        var server = try Server(binary: binary, state: state.path, mnist: mnist, port: try Self.freePort(), log: log)
        try server.waitUntilReady()
        let first = try server.request("POST", "/train", json: body)
        let second = try server.request("POST", "/train", json: body)
        #expect(first.status == 202)
        #expect(second.status == 202)
        let running = try #require(first.body["id"] as? String)
        let queued = try #require(second.body["id"] as? String)
        #expect(second.body["status"] as? String == "queued")

        // Kill once the first job has checkpointed an epoch and is inside the next one.
        try server.waitFor("the first epoch to finish", seconds: 120) {
            let job = try server.request("GET", "/train/\(running)").body
            return ((job["metrics"] as? [Any])?.count ?? 0) >= 1 && job["status"] as? String == "running"
        }
        server.kill9()

        server = try Server(binary: binary, state: state.path, mnist: mnist, port: try Self.freePort(), log: log)
        defer { _ = server.stop() }
        try server.waitUntilReady()
        // Both jobs are still known, and both reach an end.
        for id in [running, queued] {
            try server.waitFor("job \(id) to finish", seconds: 240) {
                let status = try server.request("GET", "/train/\(id)").body["status"] as? String
                return status == "succeeded" || status == "failed"
            }
        }
        let resumed = try server.request("GET", "/train/\(running)").body
        if resumed["status"] as? String == "succeeded" {
            // Resumed, not restarted: the epoch finished before the kill is still in the history.
            #expect((resumed["metrics"] as? [Any])?.count == 3)
            #expect(resumed["model_id"] is String)
        } else {
            #expect(((resumed["error"] as? String) ?? "").isEmpty == false, "a failed job says why")
        }
        let later = try server.request("GET", "/train/\(queued)").body
        #expect(later["status"] as? String == "succeeded")
        let models = try server.request("GET", "/models").body["models"] as? [[String: Any]] ?? []
        #expect(models.contains { $0["job_id"] as? String == queued })
        #expect(server.stop() == 0, "SIGTERM after the restart still exits 0")
    }
}
