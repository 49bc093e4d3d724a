import Foundation
import HTTP1
import Logging
import Service
import TestSupport

/// The trained model the service tests serve: `models/mnist-cnn.safetensors` in the package
/// root (the shipped model), or the file `MNIST_CNN_TEST_MODEL` names.
enum TestModel {
    /// Raised when the model file is not there: the tests cannot run without a trained model.
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "no model at \(path): ship models/mnist-cnn.safetensors or point MNIST_CNN_TEST_MODEL at a trained model"
        }
    }

    /// The package root, found from this file's own path with symlinks resolved (so a dev
    /// package that links `Tests/ServiceTests` in still finds the real repository).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var path: String {
        if let override = ProcessInfo.processInfo.environment["MNIST_CNN_TEST_MODEL"], !override.isEmpty { return override }
        return packageRoot.appendingPathComponent("models/mnist-cnn.safetensors").path
    }

    /// `path`, or `Missing` when there is no file there.
    static func requirePath() throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        return path
    }
}

/// One `ServiceApp` running in-process on 127.0.0.1 on an ephemeral port, with its own
/// temporary state directory. Every test starts its own and stops it (`stop()`, usually in a
/// `defer`), so tests run in parallel without sharing a server; only the Prometheus registry
/// is process-wide, so metric tests compare deltas.
final class ServiceHarness {
    let app: ServiceApp
    let stateDirectory: TemporaryDirectory
    private var stopped = false

    /// Batching for tests: one inference thread (tests run in parallel on few cores) and a
    /// small warm-up; `maxBatchSize` is what the batching tests vary.
    static let testBatching = InferenceBatcher.Settings(maxBatchSize: 16, maxQueueDelayMicroseconds: 0, threads: 1)

    /// The configuration a harness starts with, before `configure` adjusts it.
    static func configuration(stateDirectory: String) throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPath = try TestModel.requirePath()
        configuration.stateDirectory = stateDirectory
        configuration.batching = testBatching
        configuration.http.eventLoopCount = 2
        configuration.http.shutdownDeadline = .seconds(10)
        configuration.trainingThreads = 1
        return configuration
    }

    /// Starts a service; `configure` changes the test configuration, `beforeStart` sees the app
    /// after `init` and before `start()` (e.g. to observe the batcher).
    init(configure: (inout ServiceConfiguration) -> Void = { _ in },
         beforeStart: (ServiceApp) -> Void = { _ in }) throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-service-test")
        let app: ServiceApp
        do {
            var configuration = try Self.configuration(stateDirectory: directory.path)
            configure(&configuration)
            app = try ServiceApp(configuration: configuration, logger: Self.quietLogger)
            beforeStart(app)
            try app.start()
        } catch {
            directory.remove()
            throw error
        }
        self.app = app
        stateDirectory = directory
    }

    deinit { stop() }

    var port: Int { app.port }

    /// A new keep-alive connection to the service.
    func connect(readTimeout: Double = 20) throws -> RawHTTPClient {
        try RawHTTPClient(port: port, readTimeout: readTimeout)
    }

    /// One request on a fresh connection.
    func post(_ path: String = "/predict", contentType: String?, body: [UInt8]) throws -> RawHTTPResponse {
        try connect().post(path, contentType: contentType, body: body)
    }

    func get(_ path: String) throws -> RawHTTPResponse {
        try connect().get(path)
    }

    /// Graceful shutdown, then removes the state directory. Safe to call twice.
    func stop() {
        guard !stopped else { return }
        stopped = true
        app.shutdown()
        app.waitUntilStopped()
        stateDirectory.remove()
    }

    /// Warnings and errors only: an access-log line per request would drown the test output.
    static let quietLogger: Logger = {
        var logger = Logger(label: "service-tests")
        logger.logLevel = .warning
        return logger
    }()
}
