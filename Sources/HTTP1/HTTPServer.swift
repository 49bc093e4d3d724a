#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Platform

/// An HTTP/1.1 server on non-blocking sockets and event loops (epoll or poll(2), see
/// `HTTPServerConfiguration.poller`), one thread per loop (never one per connection).
///
/// Configure the router, set `onRequestCompleted`, then `start()`. Stop with
/// `shutdown(completion:)` or `beginShutdown()` and `waitUntilStopped()`, or let
/// `installSignalHandlers(onSignal:)` do it on SIGTERM and SIGINT.
// @unchecked: every mutable member is guarded by `lock` (a Platform `Condition`, for
// `waitUntilStopped`), except `onRequestCompleted`, which is set before `start()` only.
public final class HTTPServer: @unchecked Sendable {
    /// The configuration the server was made with.
    public let configuration: HTTPServerConfiguration
    let router: Router
    let logger: Logger
    let timeoutDurations: ConnectionTimeouts.Durations
    private let accessLog: AccessLog

    /// Called on an event-loop thread after each response is queued; must be thread-safe and
    /// quick. Set it before `start()`.
    public var onRequestCompleted: (@Sendable (RequestRecord) -> Void)?

    private let lock = Condition()
    private var state = State.idle
    private var listenFD: Int32 = -1
    private var loops: [EventLoop] = []
    private var runningLoops = 0
    private var acceptingLoops = 0
    private var openConnections = 0
    /// `configuration.maxConnections`, capped at start to what the descriptor limit allows.
    private var connectionCeiling: Int
    private var completions: [@Sendable () -> Void] = []
    private var port = 0

    private enum State {
        case idle, running, draining, stopped
    }

    /// A server that will answer through `router` and log through `logger` (access log
    /// at `configuration.accessLogLevel`). Nothing happens until `start()`.
    public init(configuration: HTTPServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        timeoutDurations = ConnectionTimeouts.Durations(configuration.timeouts)
        accessLog = AccessLog(logger: logger, level: configuration.accessLogLevel,
                              batchWriter: configuration.accessLogBatchWriter)
        connectionCeiling = configuration.maxConnections
    }

    /// The port the server listens on (useful with port 0); 0 before `start()`.
    public var boundPort: Int {
        lock.lock()
        defer { lock.unlock() }
        return port
    }

    /// Whether a graceful shutdown has begun (or finished).
    public var isShuttingDown: Bool {
        lock.lock()
        defer { lock.unlock() }
        return state == .draining || state == .stopped
    }

    /// Open client connections right now.
    public var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return openConnections
    }

    /// Binds, listens and starts the event loops.
    ///
    /// - Throws: `HTTPServerError.addressInUse` when the port is taken,
    ///   `.invalidAddress` for a host that is not local, `.alreadyStarted` on a second call.
    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .idle else { throw HTTPServerError.alreadyStarted }
        // Writes use MSG_NOSIGNAL; ignoring SIGPIPE as well covers any other write path.
        SignalRelay.ignore(SIGPIPE)
        let loopCount = max(1, configuration.eventLoopCount)
        let descriptorLimit = FileDescriptorLimit.raiseToHardLimit()
        connectionCeiling = FileDescriptorLimit.connectionCeiling(
            configured: configuration.maxConnections, descriptorLimit: descriptorLimit, eventLoops: loopCount)
        let descriptorText = descriptorLimit == .max ? "unlimited" : "\(descriptorLimit)"
        if connectionCeiling < configuration.maxConnections {
            logger.warning("the file-descriptor limit caps connections below --max-connections", metadata: [
                "nofile_limit": "\(descriptorText)", "max_connections": "\(connectionCeiling)",
                "configured_max_connections": "\(configuration.maxConnections)",
                "reserve": "\(FileDescriptorLimit.reserve)",
            ])
        } else {
            logger.info("file descriptors", metadata: [
                "nofile_limit": "\(descriptorText)", "max_connections": "\(connectionCeiling)",
            ])
        }
        let listener: (fd: Int32, port: Int)
        do {
            listener = try Socket.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        } catch {
            throw HTTPServerError(error)
        }
        listenFD = listener.fd
        port = listener.port
        do {
            loops = try (0..<loopCount).map { _ in try EventLoop(server: self, logger: logger) }
        } catch {
            Socket.close(listenFD)
            throw error
        }
        runningLoops = loops.count
        acceptingLoops = loops.count
        state = .running
        accessLog.start()
        for (index, loop) in loops.enumerated() {
            loop.startListening(on: listenFD)
            Threads.start(name: "http1-loop-\(index)") { loop.run() }
        }
        logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(listener.port)",
                                            "loops": "\(loops.count)", "poller": "\(configuration.poller.rawValue)"])
    }

    /// Starts a graceful shutdown: stop accepting, close idle connections, let in-flight
    /// requests finish (their responses carry `Connection: close`), and after
    /// `configuration.shutdownDeadline` close whatever is left. Returns at once.
    public func beginShutdown() {
        beginShutdown(within: configuration.shutdownDeadline.nanoseconds)
    }

    /// `beginShutdown()` that calls `completion` once every connection is closed and the
    /// event loops have ended.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        lock.lock()
        if state == .stopped || state == .idle {
            state = .stopped
            lock.unlock()
            completion()
            return
        }
        completions.append(completion)
        lock.unlock()
        beginShutdown()
    }

    /// Blocks until the server has stopped (returns at once if it never started).
    public func waitUntilStopped() {
        lock.lock()
        while state == .running || state == .draining { lock.wait() }
        lock.unlock()
    }

    private func beginShutdown(within nanoseconds: UInt64) {
        lock.lock()
        switch state {
        case .idle:
            state = .stopped
            lock.broadcast()
            lock.unlock()
            return
        case .stopped:
            lock.unlock()
            return
        case .running, .draining:
            state = .draining
        }
        let loops = self.loops
        lock.unlock()
        logger.info("shutting down", metadata: ["deadline_seconds": "\(Double(nanoseconds) / 1e9)"])
        let deadline = MonotonicClock.nanoseconds() &+ nanoseconds
        for loop in loops {
            loop.execute { loop.beginDrain(deadline: deadline) }
        }
    }

    /// Ends a shutdown in progress now: in-flight requests are abandoned.
    public func stopNow() {
        beginShutdown(within: 0)
    }

    // MARK: - Signals

    /// Starts a graceful shutdown on SIGTERM or SIGINT, after calling `onSignal` with the
    /// signal number (the service flips readiness to 503 there). A second signal stops at once.
    ///
    /// Signals arrive through `SignalRelay` (a `sigaction` handler feeding a Dispatch read
    /// source), which, unlike a bare `DispatchSource` signal source on Linux, cannot lose a
    /// signal that the kernel hands to a thread that did not block it.
    public func installSignalHandlers(
        signals: [Int32] = [SignalRelay.terminate, SignalRelay.interrupt], onSignal: @escaping @Sendable (Int32) -> Void = { _ in }
    ) {
        for number in signals {
            SignalRelay.shared.observe(number) { [weak self] number in
                guard let self else { return }
                let alreadyStopping = self.isShuttingDown
                self.logger.notice("signal received", metadata: ["signal": "\(number)"])
                onSignal(number)
                if alreadyStopping {
                    self.stopNow()
                } else {
                    self.beginShutdown()
                }
            }
        }
    }

    // MARK: - Called by the loops

    /// Counts a new connection; false when `maxConnections` are already open.
    func reserveConnection() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard openConnections < connectionCeiling else { return false }
        openConnections += 1
        return true
    }

    /// Once every loop has stopped polling the listener, the socket is closed so that new
    /// connections are refused by the kernel instead of waiting in the backlog.
    func loopStoppedAccepting() {
        lock.lock()
        defer { lock.unlock() }
        acceptingLoops -= 1
        if acceptingLoops == 0 && listenFD >= 0 {
            Socket.close(listenFD)
            listenFD = -1
        }
    }

    func releaseConnection() {
        lock.lock()
        openConnections -= 1
        lock.unlock()
    }

    func loopStopped() {
        lock.lock()
        runningLoops -= 1
        guard runningLoops == 0 else {
            lock.unlock()
            return
        }
        lock.unlock()
        // Every loop has ended, so no record can arrive after the log's last lines are out;
        // the server counts as stopped only once they are.
        accessLog.stop()
        lock.lock()
        if listenFD >= 0 {
            Socket.close(listenFD)
            listenFD = -1
        }
        state = .stopped
        loops = []  // Breaks the server <-> loop reference cycle.
        let finished = completions
        completions = []
        lock.broadcast()
        lock.unlock()
        logger.info("stopped")
        for completion in finished { completion() }
    }

    /// The access log line (queued for the writer thread) and the metrics hook for one
    /// answered request.
    func report(_ record: RequestRecord) {
        accessLog.append(record)
        onRequestCompleted?(record)
    }

    /// Access-log records dropped because the writer thread fell behind (for `/metrics`).
    public var droppedAccessLogRecords: Int { accessLog.droppedCount }
}
