import Platform
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HTTP1
import Metrics
import Prometheus

/// The service's metrics, recorded through swift-metrics into one Prometheus registry and
/// rendered by `GET /metrics`. Names follow Prometheus conventions: `_total` counters, base
/// units (`_seconds`, `_bytes`).
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// swift-metrics has one global factory per process; every service instance in the
    /// process (tests start several) shares this registry, so tests compare deltas.
    public static let shared: ServiceMetrics = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        factory.valueHistogramBuckets = [
            "mnist_inference_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256],
            "mnist_inference_queue_delay_seconds": [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
        ]
        MetricsSystem.bootstrap(factory)
        return ServiceMetrics(registry: registry)
    }()

    /// When the process started: wall time for `process_start_time_seconds`, monotonic time
    /// for the uptime (which a clock step must not move).
    private let processStart: Double
    private let startedMonotonic = MonotonicClock.seconds()

    /// The per-batch and per-prediction metrics, made once after the factory is bootstrapped:
    /// making a handle per record (validating its name, hashing its labels, looking it up in
    /// the registry under its lock) cost 18 k instructions per request, more than the rest of
    /// the metrics work together.
    private let batchSize = Metrics.Recorder(label: "mnist_inference_batch_size", aggregate: true)
    private let queueDelay = Metrics.Recorder(label: "mnist_inference_queue_delay_seconds", aggregate: true)
    private let inferenceDuration = Metrics.Timer(label: "mnist_inference_duration_seconds")
    private let inferenceImages = Metrics.Counter(label: "mnist_inference_images_total")
    /// `mnist_predictions_total` by digit; a digit outside 0...9 (a model with more classes)
    /// is counted through a handle made per call, which the registry maps to the same series.
    private let predictions = (0..<10).map { Metrics.Counter(label: "mnist_predictions_total", dimensions: [("digit", String($0))]) }

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        processStart = Date().timeIntervalSince1970
    }

    /// One finished HTTP request (fed by the server's per-request hook).
    func record(_ request: RequestRecord) {
        let metrics = requestMetrics(route: request.route ?? "unmatched", method: request.method, status: request.status)
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(Int64(request.durationSeconds * 1e9))
        metrics.responseBytes.increment(by: request.responseBytes)
    }

    /// The metrics of one route, method and status, made once: creating them per request
    /// (validating names, hashing labels, looking them up in the registry) cost a third of
    /// the server's throughput on a trivial route.
    private struct RequestMetrics {
        let requests: Metrics.Counter
        let duration: Metrics.Timer
        let responseBytes: Metrics.Counter
    }
    private struct RequestKey: Hashable {
        let route: String, method: String, status: Int
    }
    private let requestMetricsCache = Mutex<[RequestKey: RequestMetrics]>([:])

    /// Methods kept as label values; any other token a client sends counts as "other", so a
    /// client cannot create new series at will.
    private static let labelledMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    private func requestMetrics(route: String, method: String, status: Int) -> RequestMetrics {
        let key = RequestKey(route: route, method: Self.labelledMethods.contains(method) ? method : "other", status: status)
        return requestMetricsCache.withLock { cache in
            if let cached = cache[key] { return cached }
            let made = RequestMetrics(
                requests: Counter(label: "mnist_http_requests_total",
                                  dimensions: [("route", route), ("method", key.method), ("status", String(status))]),
                duration: Timer(label: "mnist_http_request_duration_seconds", dimensions: [("route", route)]),
                responseBytes: Counter(label: "mnist_http_response_bytes_total", dimensions: [("route", route)]))
            cache[key] = made
            return made
        }
    }

    func record(_ batch: InferenceBatcher.BatchRecord) {
        batchSize.record(batch.images)
        queueDelay.record(batch.queueDelay)
        inferenceDuration.recordNanoseconds(Int64(batch.inferenceSeconds * 1e9))
        inferenceImages.increment(by: batch.images)
    }

    func recordPrediction(digit: Int) {
        if predictions.indices.contains(digit) {
            predictions[digit].increment()
        } else {
            Counter(label: "mnist_predictions_total", dimensions: [("digit", String(digit))]).increment()
        }
    }

    /// The info gauges now registered, each replaced as a whole when what it names changes.
    private struct InfoGauges {
        var precision: Prometheus.Gauge?
        var model: Prometheus.Gauge?
    }
    private let infoGauges = Mutex(InfoGauges())

    /// The precision and kernel `/predict` runs in, as an info metric (value 1).
    func setInferencePrecision(_ precision: InferencePrecision, kernel: String) {
        infoGauges.withLock { gauges in
            if let previous = gauges.precision { registry.unregisterGauge(previous) }
            let name = MetricNameDescriptor(namespace: "mnist", metricName: "inference_precision", unitName: "info",
                                            helpText: "The arithmetic /predict runs in (value 1): fp32 or int8, and the int8 kernel")
            let gauge = registry.makeGauge(descriptor: name, labels: [("precision", precision.rawValue), ("kernel", kernel)])
            gauge.set(1.0)
            gauges.precision = gauge
        }
    }

    /// The active model as an info metric (value 1), replacing the previous one.
    func setActiveModel(id: String, architecture: String) {
        infoGauges.withLock { gauges in
            if let previous = gauges.model { registry.unregisterGauge(previous) }
            let name = MetricNameDescriptor(namespace: "mnist", metricName: "model", unitName: "info",
                                            helpText: "The model /predict uses (value 1)")
            let gauge = registry.makeGauge(descriptor: name, labels: [("model", id), ("architecture", architecture)])
            gauge.set(1.0)
            gauges.model = gauge
        }
    }

    /// Jobs per state, set at scrape time from the queue.
    func setTrainingJobs(_ counts: [String: Int]) {
        for state in ["queued", "running", "cancelling", "succeeded", "failed", "cancelled"] {
            Metrics.Gauge(label: "mnist_training_jobs", dimensions: [("state", state)]).record(counts[state] ?? 0)
        }
    }

    /// The running job's speed and its last epoch's figures (zero when no job runs).
    func setRunningJob(imagesPerSecond: Double, loss: Double?, trainAccuracy: Double?, validationAccuracy: Double?) {
        Metrics.Gauge(label: "mnist_training_images_per_second").record(imagesPerSecond)
        Metrics.Gauge(label: "mnist_training_loss").record(loss ?? 0)
        Metrics.Gauge(label: "mnist_training_accuracy", dimensions: [("set", "train")]).record(trainAccuracy ?? 0)
        Metrics.Gauge(label: "mnist_training_accuracy", dimensions: [("set", "validation")]).record(validationAccuracy ?? 0)
    }

    /// The memory budget's size, what request work holds of it now, and how many
    /// reservations it has refused since start (each answered 503 or 413), set at scrape time.
    func setMemoryBudget(_ budget: MemoryBudget) {
        Metrics.Gauge(label: "mnist_memory_budget_bytes").record(budget.capacity)
        Metrics.Gauge(label: "mnist_memory_budget_used_bytes").record(budget.usedBytes)
        Metrics.Gauge(label: "mnist_memory_budget_refusals").record(budget.refusedCount)
    }

    func setReady(_ ready: Bool) {
        Metrics.Gauge(label: "mnist_ready").record(ready ? 1 : 0)
    }

    /// Access-log lines the HTTP server dropped because its writer thread fell behind (read
    /// from the server at scrape time; a counter kept by the server, exposed as its value).
    func setAccessLogDropped(_ count: Int) {
        Metrics.Gauge(label: "mnist_http_access_log_dropped_total").record(count)
    }

    /// Process metrics read from /proc at scrape time.
    func refreshProcessMetrics() {
        Metrics.Gauge(label: "process_start_time_seconds").record(processStart)
        Metrics.Gauge(label: "mnist_uptime_seconds").record(MonotonicClock.seconds() - startedMonotonic)
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            Metrics.Gauge(label: "process_resident_memory_bytes").record(pages * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            Metrics.Gauge(label: "process_open_fds").record(descriptors.count)
        }
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            let seconds = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            Metrics.Gauge(label: "process_cpu_seconds_total").record(seconds)
        }
    }

    /// The exposition text (Prometheus text format 0.0.4).
    func render() -> [UInt8] {
        refreshProcessMetrics()
        return registry.emitToBuffer()
    }
}
