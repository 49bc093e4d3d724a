import Foundation
import HTTP1
import Logging
import TensorCore
import Training

/// The whole service: the model slot and the inference batcher, the HTTP server with every
/// route, readiness, metrics and graceful shutdown. `mnist-cnn serve` runs one; tests start
/// several in-process on ephemeral ports.
public final class ServiceApp: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let slot = ModelSlot()
    public let readiness = Readiness()
    public let metrics = ServiceMetrics.shared
    public let batcher: InferenceBatcher
    private let router = Router()
    private var server: HTTPServer!

    public init(configuration: ServiceConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        batcher = InferenceBatcher(slot: slot, settings: configuration.batching)
        let metrics = self.metrics
        batcher.onBatch = { metrics.record($0) }
        readiness.observe { metrics.setReady($0 == .ready) }
        slot.onSwap { [logger] model in
            metrics.setActiveModel(id: model.id, architecture: model.network.architecture.name ?? "custom")
            logger.info("active model", metadata: ["model": "\(model.id)"])
        }
    }

    /// The port the server listens on (after `start`).
    public var port: Int { server.boundPort }

    /// Loads the model, binds the port, warms up, and only then reports ready.
    public func start() throws {
        metrics.setReady(false)
        let model = try loadShippedModel()
        PredictRoutes(batcher: batcher, configuration: configuration, readiness: readiness, metrics: metrics)
            .register(on: router)
        OperationsRoutes(readiness: readiness, slot: slot, metrics: metrics).register(on: router)
        var http = configuration.http
        http.host = configuration.host
        http.port = configuration.port
        http.limits.maxBodyBytes = max(http.limits.maxBodyBytes, 1)
        server = HTTPServer(configuration: http, router: router, logger: logger)
        server.onRequestCompleted = { [metrics] record in metrics.record(record) }
        try server.start()
        // Probes answer (liveness 200, readiness 503) while the model warms up.
        batcher.warmUp(model: model)
        slot.swap(to: model)
        batcher.start()
        readiness.set(.ready)
        logger.notice("serving", metadata: ["port": "\(server.boundPort)", "model": "\(model.id)",
                                            "kernel": "\(model.network.gemm.instructionSet.rawValue)"])
    }

    private func loadShippedModel() throws -> LoadedModel {
        let (network, metadata) = try TrainedModel.read(from: configuration.modelPath, threads: configuration.batching.threads)
        return LoadedModel(id: "shipped", network: network, metadata: metadata)
    }

    /// SIGTERM/SIGINT: report not-ready at once, then drain and stop.
    public func installSignalHandlers() {
        server.installSignalHandlers { [weak self] signal in
            guard let self else { return }
            self.readiness.set(.draining)
            self.logger.notice("draining", metadata: ["signal": "\(signal)"])
        }
    }

    /// Graceful shutdown: not ready, stop accepting, finish in-flight requests, stop the batcher.
    public func shutdown() {
        readiness.set(.draining)
        server.beginShutdown()
    }

    /// Blocks until the server has stopped, then lets the batcher finish.
    public func waitUntilStopped() {
        server.waitUntilStopped()
        batcher.stop()
    }
}
