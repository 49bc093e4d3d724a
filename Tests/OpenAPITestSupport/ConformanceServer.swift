import Foundation
import Logging
import Service
import TestSupport

/// A private in-process service for this suite: loopback, an ephemeral port, a temporary
/// state directory, the shipped model (or `MNIST_CNN_TEST_MODEL`), an empty training-data
/// directory (so a queued job fails at once instead of training), and the admin token the
/// spec's x-tests send.
public final class ConformanceServer {
    /// The token of the `server: admin-token` entries; the spec's x-tests send it literally.
    public static let adminToken = "openapi-conformance-token"

    let app: ServiceApp
    let stateDirectory: TemporaryDirectory

    public init() throws {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let environment = ProcessInfo.processInfo.environment
        let model = environment["MNIST_CNN_TEST_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root.appendingPathComponent("models/mnist-cnn.safetensors").path
        stateDirectory = try TemporaryDirectory(prefix: "mnist-cnn-openapi-test")
        var configuration = ServiceConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPath = model
        configuration.stateDirectory = stateDirectory.path
        configuration.mnistDirectory = stateDirectory.file("empty-mnist")
        configuration.batching = InferenceBatcher.Settings(maxBatchSize: 16, maxQueueDelayMicroseconds: 0, threads: 1)
        configuration.http.eventLoopCount = 1
        configuration.trainingThreads = 1
        configuration.adminToken = Self.adminToken
        var logger = Logger(label: "openapi-conformance")
        logger.logLevel = .warning
        do {
            try FileManager.default.createDirectory(atPath: configuration.mnistDirectory!, withIntermediateDirectories: true)
            app = try ServiceApp(configuration: configuration, logger: logger)
            try app.start()
        } catch {
            stateDirectory.remove()
            throw error
        }
    }

    public var port: Int { app.port }

    public func stop() {
        app.shutdown()
        app.waitUntilStopped()
        stateDirectory.remove()
    }
}
