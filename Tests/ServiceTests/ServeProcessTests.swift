import Foundation
import Testing
import TestSupport

/// `mnist-cnn serve` running as its own process, its stderr collected as it is written.
// Unchecked: `collected` is only touched under `lock`; `process` is started once, in `init`.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    /// Starts `command` through `/bin/sh -c` (so a test can set `ulimit` first); `$0` in the
    /// command is the `mnist-cnn` binary.
    init(shell command: String) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, try #require(ServeBinary.url).path]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MNIST_CNN_") && $0.key != "MNIST_DIR" }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.collected.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var standardError: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// The first line of stderr containing `text`, waiting up to `seconds` for it.
    func line(containing text: String, within seconds: Double = 60) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = standardError.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            usleep(20_000)
        }
        return nil
    }

    /// The value of `key=value` metadata in a text log line (a whole key: `max_connections`
    /// does not match inside `configured_max_connections`).
    static func metadata(_ key: String, in line: String) -> String? {
        for word in line.split(separator: " ") where word.hasPrefix("\(key)=") {
            return String(word.dropFirst(key.count + 1))
        }
        return nil
    }

    /// Waits up to `seconds` for the process to end; false if it is still running.
    func waitForExit(within seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }
}

/// Start-up behaviour of the real executable that only a separate process can show.
@Suite(.enabled(if: ServeBinary.url != nil, "the mnist-cnn binary is not built next to the test bundle"))
struct ServeProcessTests {
    static func serveCommand(state: String) throws -> String {
        "exec \"$0\" serve --model '\(try TestModel.requirePath())' --state-dir '\(state)' --host 127.0.0.1 --port 0 "
            + "--inference-threads 1 --training-threads 1"
    }

    /// A SIGTERM as soon as the server listens (the model still warming up) ends the process
    /// with exit status 0: the handlers are installed before start-up, not after it.
    @Test func sigtermDuringStartUpExitsCleanly() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-serve-signal")
        defer { directory.remove() }
        let serve = try ServeProcess(shell: try Self.serveCommand(state: directory.file("state")))
        #expect(serve.line(containing: "listening") != nil, "\(serve.standardError)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit())
        #expect(serve.process.terminationReason == .exit, "\(serve.standardError)")
        #expect(serve.process.terminationStatus == 0, "\(serve.standardError)")
    }

    /// Under a small open-file limit the server logs the limit and the connection ceiling it
    /// leaves, and connections beyond that ceiling get 503 and a clean close instead of
    /// failing to be accepted.
    @Test func descriptorLimitCapsConnections() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-serve-nofile")
        defer { directory.remove() }
        let serve = try ServeProcess(shell: "ulimit -n 128 && " + (try Self.serveCommand(state: directory.file("state"))))
        defer {
            kill(serve.process.processIdentifier, SIGTERM)
            _ = serve.waitForExit()
        }
        let limits = try #require(serve.line(containing: "nofile_limit="), "\(serve.standardError)")
        #expect(ServeProcess.metadata("nofile_limit", in: limits) == "128")
        let ceiling = try #require(ServeProcess.metadata("max_connections", in: limits).flatMap { Int($0) })
        #expect(ceiling > 0 && ceiling <= 128 - 64)
        let listening = try #require(serve.line(containing: "listening"))
        let port = try #require(ServeProcess.metadata("port", in: listening).flatMap { Int($0) })
        #expect(serve.line(containing: "serving") != nil)

        let held = try (0..<ceiling).map { _ in try RawHTTPClient(port: port, readTimeout: 10) }
        #expect(try held[0].get("/healthz").status == 200)
        let refused = try RawHTTPClient(port: port, readTimeout: 10)
        #expect(try refused.readResponse().status == 503)
        #expect(try held[ceiling - 1].get("/healthz").status == 200)
    }

    /// The access log the binary writes in batches looks like the rest of its log, in both
    /// formats: swift-log's text lines and one JSON object per line.
    @Test(arguments: ["text", "json"])
    func accessLogLines(format: String) throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-serve-access-log")
        defer { directory.remove() }
        let serve = try ServeProcess(shell: try Self.serveCommand(state: directory.file("state")) + " --log-format \(format)")
        defer {
            kill(serve.process.processIdentifier, SIGTERM)
            _ = serve.waitForExit()
        }
        let listening = try #require(serve.line(containing: "listening"), "\(serve.standardError)")
        let port: Int
        if format == "json" {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(listening.utf8)) as? [String: Any])
            port = try #require((object["port"] as? String).flatMap { Int($0) })
        } else {
            port = try #require(ServeProcess.metadata("port", in: listening).flatMap { Int($0) })
        }
        let client = try RawHTTPClient(port: port)
        #expect(try client.get("/healthz?probe=1").status == 200)
        let line = try #require(serve.line(containing: "GET /healthz 200 "), "\(serve.standardError)")
        if format == "json" {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["level"] as? String == "info")
            #expect(object["logger"] as? String == "mnist-cnn")
            #expect(object["method"] as? String == "GET" && object["path"] as? String == "/healthz")
            #expect(object["status"] as? String == "200")
            #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        } else {
            #expect(line.contains(" info mnist-cnn: bytes="), "\(line)")
            #expect(line.contains("method=GET path=/healthz status=200 [HTTP1] GET /healthz 200 "), "\(line)")
            #expect(line.hasSuffix("ms"))
        }
    }
}
