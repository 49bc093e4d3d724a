import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Logging
import MNISTData
import Platform
import Service

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service: /predict, /train, /models, probes, /metrics, the web page.",
        discussion: """
            Every option also reads the environment variable in brackets; a flag wins over the \
            variable, the variable over the default. SIGTERM or SIGINT drains: /readyz turns 503 \
            at once, in-flight requests finish (up to --shutdown-timeout), then the process exits 0.
            """)

    @Option(help: "Address to listen on; :: for dual-stack IPv6 [MNIST_CNN_HOST] (default 0.0.0.0).") var host: String?
    @Option(help: "Port [MNIST_CNN_PORT] (default 8080).") var port: Int?
    @Option(help: "Model file to serve [MNIST_CNN_MODEL] (default models/mnist-cnn.safetensors).") var model: String?
    @Option(help: "Where jobs and trained models live [MNIST_CNN_STATE_DIR] (default ./var).") var stateDir: String?
    @Option(help: "MNIST directory for /train jobs [MNIST_DIR]; default: the directory `mnist-cnn data download` fills, if it holds the files; else training is disabled.") var mnistDir: String?
    @Option(help: "Bearer token for admin operations; unset: the one in <state-dir>/admin-token, generated at first start [MNIST_CNN_ADMIN_TOKEN].")
    var adminToken: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical [MNIST_CNN_LOG_LEVEL] (default info).")
    var logLevel: String?
    @Option(help: "text or json (one object per line) [MNIST_CNN_LOG_FORMAT] (default text).") var logFormat: String?
    @Option(help: "Most images per forward pass [MNIST_CNN_MAX_BATCH_SIZE] (default 64).") var maxBatchSize: Int?
    @Option(help: "How long a request may wait for others to batch with, µs [MNIST_CNN_MAX_QUEUE_DELAY_US] (default 0: greedy).")
    var maxQueueDelayUs: Int?
    @Option(help: "Threads for inference passes [MNIST_CNN_INFERENCE_THREADS] (default: all cores).") var inferenceThreads: Int?
    @Option(help: "Threads for training jobs [MNIST_CNN_TRAINING_THREADS] (default: cores - 1).") var trainingThreads: Int?
    @Option(help: "fp32, int8 (needs a model calibrated by mnist-cnn quantize) or auto (int8 where the model has calibration and the CPU has AVX-512 VNNI) [MNIST_CNN_PRECISION] (default fp32).")
    var precision: InferencePrecision?
    @Option(help: "Most images in one /predict request [MNIST_CNN_MAX_IMAGES_PER_REQUEST] (default 256).")
    var maxImagesPerRequest: Int?
    @Option(help: "Largest request body in bytes [MNIST_CNN_MAX_BODY_BYTES] (default 16777216).") var maxBodyBytes: Int?
    @Option(help: "Largest POST /predict body in bytes [MNIST_CNN_MAX_PREDICT_BODY_BYTES] (default 8388608).")
    var maxPredictBodyBytes: Int?
    @Option(help: "Largest POST /train body in bytes [MNIST_CNN_MAX_TRAIN_BODY_BYTES] (default 65536).")
    var maxTrainBodyBytes: Int?
    @Option(help: "Most open connections [MNIST_CNN_MAX_CONNECTIONS] (default 10000).") var maxConnections: Int?
    @Option(help: "How the event loops wait on sockets: epoll, or poll (poll(2); portable, slower with many idle connections) [MNIST_CNN_POLLER] (default epoll).")
    var poller: String?
    @Option(help: "µs an event loop keeps polling without sleeping after it has answered, so a nearby client's next request is read without a wake-up; 0: sleep at once [MNIST_CNN_BUSY_POLL_US] (default 50).")
    var busyPollUs: Int?
    @Option(help: "Seconds a client has to send its headers [MNIST_CNN_HEADER_TIMEOUT] (default 10).") var headerTimeout: Double?
    @Option(help: "Seconds an idle keep-alive connection stays open [MNIST_CNN_IDLE_TIMEOUT] (default 60).") var idleTimeout: Double?
    @Option(help: "Seconds in-flight requests get to finish on shutdown [MNIST_CNN_SHUTDOWN_TIMEOUT] (default 20).")
    var shutdownTimeout: Double?
    @Option(help: "Seconds between looks at the shared state directory: follow activations, take the queue over [MNIST_CNN_STATE_POLL_INTERVAL] (default 1).")
    var statePollInterval: Double?
    @Option(help: "Starts a training job gets before one whose process keeps dying is failed [MNIST_CNN_MAX_JOB_ATTEMPTS] (default 2).")
    var maxJobAttempts: Int?
    @Option(help: "Most memory one training job may need, MB; larger jobs are refused at submit [MNIST_CNN_MAX_JOB_MEMORY_MB] (default 1024).")
    var maxJobMemoryMb: Int?
    @Option(help: """
        Bytes request work may hold at once (bodies, decoded images, batches), e.g. 268435456, 256Mi or 1G; \
        beyond it requests get 503 [MNIST_CNN_MEMORY_BUDGET] (default: half the cgroup memory limit, \
        else a quarter of physical memory up to 2Gi).
        """)
    var memoryBudget: String?

    func run() throws {
        let configuration: ServiceConfiguration
        let logger: Logger
        do {
            var settings = ServiceConfiguration()
            settings.host = try Setting.resolve(host, "MNIST_CNN_HOST", settings.host)
            settings.port = try Setting.resolve(port, "MNIST_CNN_PORT", settings.port)
            settings.modelPath = try Setting.resolve(model, "MNIST_CNN_MODEL", settings.modelPath)
            settings.stateDirectory = try Setting.resolve(stateDir, "MNIST_CNN_STATE_DIR", settings.stateDirectory)
            settings.mnistDirectory = mnistDir ?? MNISTDirectory.resolve()
            settings.adminToken = adminToken ?? Environment.value("MNIST_CNN_ADMIN_TOKEN")
            settings.batching.maxBatchSize = try Setting.resolve(maxBatchSize, "MNIST_CNN_MAX_BATCH_SIZE", settings.batching.maxBatchSize)
            settings.batching.maxQueueDelayMicroseconds = try Setting.resolve(
                maxQueueDelayUs, "MNIST_CNN_MAX_QUEUE_DELAY_US", settings.batching.maxQueueDelayMicroseconds)
            settings.batching.threads = try Setting.resolve(inferenceThreads, "MNIST_CNN_INFERENCE_THREADS", settings.batching.threads)
            settings.trainingThreads = try Setting.resolve(trainingThreads, "MNIST_CNN_TRAINING_THREADS", settings.trainingThreads)
            settings.precision = try Setting.resolve(precision, "MNIST_CNN_PRECISION", settings.precision)
            settings.maxImagesPerRequest = try Setting.resolve(
                maxImagesPerRequest, "MNIST_CNN_MAX_IMAGES_PER_REQUEST", settings.maxImagesPerRequest)
            settings.http.limits.maxBodyBytes = try Setting.resolve(maxBodyBytes, "MNIST_CNN_MAX_BODY_BYTES", 16 << 20)
            settings.maxPredictBodyBytes = try Setting.resolve(
                maxPredictBodyBytes, "MNIST_CNN_MAX_PREDICT_BODY_BYTES", settings.maxPredictBodyBytes)
            settings.maxTrainBodyBytes = try Setting.resolve(
                maxTrainBodyBytes, "MNIST_CNN_MAX_TRAIN_BODY_BYTES", settings.maxTrainBodyBytes)
            settings.http.maxConnections = try Setting.resolve(maxConnections, "MNIST_CNN_MAX_CONNECTIONS", settings.http.maxConnections)
            let pollerName = poller ?? Environment.value("MNIST_CNN_POLLER") ?? settings.http.poller.rawValue
            guard let pollerBackend = PollerBackend(rawValue: pollerName) else {
                throw CommandFailure("poller '\(pollerName)' is not epoll or poll (--poller / MNIST_CNN_POLLER)")
            }
            settings.http.poller = pollerBackend
            let busyPollMicroseconds = try Setting.resolve(busyPollUs, "MNIST_CNN_BUSY_POLL_US", 50)
            guard (0...1_000_000).contains(busyPollMicroseconds) else {
                throw CommandFailure("--busy-poll-us must be between 0 and 1000000")
            }
            settings.http.busyPoll = .microseconds(busyPollMicroseconds)
            settings.http.timeouts.headerRead = .seconds(try Setting.resolve(headerTimeout, "MNIST_CNN_HEADER_TIMEOUT", 10.0))
            settings.http.timeouts.idle = .seconds(try Setting.resolve(idleTimeout, "MNIST_CNN_IDLE_TIMEOUT", 60.0))
            settings.http.shutdownDeadline = .seconds(try Setting.resolve(shutdownTimeout, "MNIST_CNN_SHUTDOWN_TIMEOUT", 20.0))
            settings.statePollInterval = try Setting.resolve(
                statePollInterval, "MNIST_CNN_STATE_POLL_INTERVAL", settings.statePollInterval)
            settings.maxJobAttempts = try Setting.resolve(maxJobAttempts, "MNIST_CNN_MAX_JOB_ATTEMPTS", settings.maxJobAttempts)
            let maxJobMemoryMegabytes = try Setting.resolve(maxJobMemoryMb, "MNIST_CNN_MAX_JOB_MEMORY_MB", 1024)
            guard (1...1 << 30).contains(maxJobMemoryMegabytes) else { throw CommandFailure("--max-job-memory-mb must be at least 1") }
            settings.maxJobMemoryBytes = maxJobMemoryMegabytes << 20
            if let text = memoryBudget ?? Environment.value("MNIST_CNN_MEMORY_BUDGET") {
                guard let bytes = MemoryBudgetSizing.parseByteCount(text) else {
                    throw CommandFailure("memory budget '\(text)' is not a byte count: use e.g. 268435456, 256Mi or 1G "
                                         + "(--memory-budget / MNIST_CNN_MEMORY_BUDGET)")
                }
                settings.memoryBudgetBytes = bytes
            }
            guard settings.batching.threads >= 1 else { throw CommandFailure("--inference-threads must be at least 1") }
            let level = try Setting.resolve(logLevel, "MNIST_CNN_LOG_LEVEL", "info")
            let format = try Setting.resolve(logFormat, "MNIST_CNN_LOG_FORMAT", "text")
            logger = try LogSetup.bootstrap(level: level, format: format)
            let accessLogLines = AccessLogLines(format: format, level: settings.http.accessLogLevel, label: logger.label)
            settings.http.accessLogBatchWriter = { accessLogLines.write($0) }
            configuration = settings
        } catch let error as CommandFailure {
            printError(error.description)
            throw ExitCode.failure
        }
        do {
            let app = try ServiceApp(configuration: configuration, logger: logger)
            // Before start: a SIGTERM while the model loads or warms up exits cleanly.
            app.installSignalHandlers()
            try app.start()
            app.waitUntilStopped()
            logger.notice("stopped")
        } catch HTTPServerError.addressInUse(let host, let port) {
            printError("\(host):\(port) is already in use: stop the process listening there "
                       + "(`ss -ltnp 'sport = :\(port)'` shows it) or choose another --port (MNIST_CNN_PORT)")
            throw ExitCode.failure
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// Flag, then environment variable, then default; a variable that does not parse is an error
/// that names it.
enum Setting {
    static func resolve<T: LosslessStringConvertible>(_ flag: T?, _ variable: String, _ fallback: T) throws -> T {
        if let flag { return flag }
        guard let text = Environment.value(variable) else { return fallback }
        guard let value = T(text) else { throw CommandFailure("\(variable)='\(text)' is not a valid \(T.self)") }
        return value
    }
}

extension InferencePrecision: ExpressibleByArgument {}
