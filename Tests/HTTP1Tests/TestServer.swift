import Foundation
import Logging
@testable import HTTP1
import Platform
import Synchronization

/// Collects `RequestRecord`s from the server's loop threads.
final class RecordLog: Sendable {
    private let stored = Mutex<[RequestRecord]>([])

    func append(_ record: RequestRecord) {
        stored.withLock { $0.append(record) }
    }

    var records: [RequestRecord] {
        stored.withLock { $0 }
    }
}

/// Counts slow requests that reached their handler, so tests wait for that instead of
/// sleeping a guessed amount.
final class StartedCounter: Sendable {
    private let stored = Atomic(0)

    func increment() {
        stored.add(1, ordering: .relaxed)
    }

    var count: Int {
        stored.load(ordering: .relaxed)
    }
}

/// Routes every socket test uses.
func makeTestRouter(slowStarted: StartedCounter = StartedCounter()) -> Router {
    let router = Router()
    router.add(method: "GET", path: "/healthz") { _ in .text(200, "ok\n") }
    router.add(method: "POST", path: "/echo", maxBodyBytes: 1 << 20) { request in
        HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.add(method: "POST", path: "/big-upload", maxBodyBytes: 4 << 20) { request in
        .text(200, "uploaded \(request.body.count)")
    }
    // Admission as the service's admin routes use it: decided on the head, before the body.
    let admission: Router.Admission = { request in
        request.headers["authorization"] == "yes" ? nil : .problem(status: 401, detail: "Say yes.")
    }
    router.add(method: "POST", path: "/admin", maxBodyBytes: 1 << 20, admission: admission) { request in
        .text(200, "admitted \(request.body.count)")
    }
    router.add(method: "DELETE", path: "/admin", admission: admission) { _ in .text(200, "deleted") }
    router.add(method: "GET", path: "/items/{id}") { request in
        .text(200, "item \(request.pathParameters["id"] ?? "?") from \(request.isLoopback ? "loopback" : "elsewhere")")
    }
    router.add(method: "GET", path: "/slow/{milliseconds}") { (request: HTTPRequest, responder: HTTPResponder) in
        let milliseconds = Int(request.pathParameters["milliseconds"] ?? "") ?? 0
        slowStarted.increment()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
            responder.send(.text(200, "slow \(milliseconds)"))
        }
    }
    router.add(method: "GET", path: "/forgetful") { (_: HTTPRequest, _: HTTPResponder) in }
    router.add(method: "GET", path: "/big/{megabytes}") { request in
        let megabytes = Int(request.pathParameters["megabytes"] ?? "") ?? 1
        return HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: megabytes << 20))
    }
    return router
}

/// Runs `body` against a server on an ephemeral loopback port, waiting on `poller`, then shuts
/// it down. Every socket-level test takes the backend as an argument, so the whole HTTP
/// behaviour is checked on epoll and on poll(2).
func withTestServer(
    poller: PollerBackend,
    host: String = "127.0.0.1",
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    router: Router = makeTestRouter(),
    logHandler: CapturingLogHandler? = nil,
    _ body: (HTTPServer, Int, RecordLog) throws -> Void
) throws {
    var configuration = HTTPServerConfiguration(host: host, port: 0, eventLoopCount: 2, poller: poller)
    configuration.timeouts = HTTPTimeouts(headerRead: .seconds(5), bodyRead: .seconds(5), idle: .seconds(5),
                                          write: .seconds(5), lingeringClose: .milliseconds(200))
    configuration.shutdownDeadline = .seconds(3)
    configure(&configuration)
    var logger = Logger(label: "HTTP1Tests") { _ in logHandler ?? CapturingLogHandler() }
    logger.logLevel = logHandler == nil ? .critical : .info
    let server = HTTPServer(configuration: configuration, router: router, logger: logger)
    let log = RecordLog()
    server.onRequestCompleted = { log.append($0) }
    try server.start()
    defer {
        server.stopNow()
        server.waitUntilStopped()
    }
    try body(server, server.boundPort, log)
}

/// Polls `condition` for up to `seconds` (for effects that happen on another thread).
func eventually(within seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Keeps every log message so tests can check the access log.
// @unchecked: the captured messages are guarded by `lock`; `metadata` and `logLevel` are set
// before the logger is handed to the server and only read afterwards.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.lock()
        stored.append((event.level, event.message.description, event.metadata ?? [:]))
        lock.unlock()
    }

    var messages: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
