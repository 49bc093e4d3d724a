#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Platform

/// How long a connection may spend in each phase before it is closed.
public struct HTTPTimeouts: Sendable, Equatable {
    /// From the first byte of a request (or from accepting the connection) to the end of its
    /// head. Fixed, not renewed by progress, so a slowloris client dribbling bytes is dropped.
    public var headerRead: Duration
    /// From the end of the head to the end of the body.
    public var bodyRead: Duration
    /// How long a keep-alive connection may wait for its next request.
    public var idle: Duration
    /// How long a write may make no progress (a client that stops reading).
    public var write: Duration
    /// How long to keep reading and discarding after an error response before closing, so
    /// the client sees the response instead of a reset (RFC 9112 §9.6).
    public var lingeringClose: Duration

    /// Timeouts with production defaults.
    public init(
        headerRead: Duration = .seconds(10), bodyRead: Duration = .seconds(60),
        idle: Duration = .seconds(60), write: Duration = .seconds(30),
        lingeringClose: Duration = .seconds(2)
    ) {
        self.headerRead = headerRead
        self.bodyRead = bodyRead
        self.idle = idle
        self.write = write
        self.lingeringClose = lingeringClose
    }
}

/// Everything `HTTPServer` needs to know before `start()`.
public struct HTTPServerConfiguration: Sendable {
    /// The address to listen on: "0.0.0.0" for all IPv4, "::" for dual-stack IPv6,
    /// "127.0.0.1" for loopback only.
    public var host: String
    /// The port; 0 picks a free one, readable from `HTTPServer.boundPort` after start.
    public var port: Int
    /// The listen backlog.
    public var backlog: Int32
    /// Connections beyond this are answered 503 and closed at once.
    public var maxConnections: Int
    /// Event-loop threads; each serves its share of connections. Defaults to the core count.
    public var eventLoopCount: Int
    /// Request size limits.
    public var limits: HTTPLimits
    /// Per-phase connection timeouts.
    public var timeouts: HTTPTimeouts
    /// How long a graceful shutdown waits for in-flight requests before closing everything.
    public var shutdownDeadline: Duration
    /// The level of the per-request access log line.
    public var accessLogLevel: Logger.Level
    /// Writes each batch of access-log records on the access log's own thread, for an
    /// application that writes the batch with one system call in its own log format; nil logs
    /// each record through the server's logger. Either way the logger's level decides whether
    /// there is an access log, and event loops never wait for it.
    public var accessLogBatchWriter: (@Sendable ([RequestRecord]) -> Void)?
    /// The `Server` header value.
    public var serverName: String
    /// The account that buffered request bodies are reserved against before they are read;
    /// `nil` leaves bodies bounded by `limits.maxBodyBytes` alone.
    public var memoryBudget: MemoryBudget?
    /// How the event loops wait for socket readiness: epoll on Linux by default, poll(2) as
    /// the portable alternative (it costs time per idle connection on every wait).
    public var poller: PollerBackend
    /// How long an event loop keeps polling without blocking after it has answered and waits
    /// on no other thread, before it sleeps in the kernel. A sleeping thread takes tens of
    /// microseconds to wake on a virtual machine (35 µs here), as long as a client nearby (a
    /// sidecar, a proxy on the host, a caller in a loop) takes to send its next request; the
    /// price is at most this much CPU after each burst of work. Zero sleeps at once.
    public var busyPoll: Duration

    /// A configuration with production defaults; tests shorten the timeouts.
    public init(
        host: String = "0.0.0.0", port: Int = 8080, backlog: Int32 = 1024,
        maxConnections: Int = 10_000,
        eventLoopCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
        limits: HTTPLimits = HTTPLimits(), timeouts: HTTPTimeouts = HTTPTimeouts(),
        shutdownDeadline: Duration = .seconds(20), accessLogLevel: Logger.Level = .info,
        serverName: String = "mnist-cnn", memoryBudget: MemoryBudget? = nil,
        poller: PollerBackend = .platformDefault, busyPoll: Duration = .microseconds(50)
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.eventLoopCount = eventLoopCount
        self.limits = limits
        self.timeouts = timeouts
        self.shutdownDeadline = shutdownDeadline
        self.accessLogLevel = accessLogLevel
        self.serverName = serverName
        self.memoryBudget = memoryBudget
        self.poller = poller
        self.busyPoll = busyPoll
        accessLogBatchWriter = nil
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `UInt64.max` and clamping at 0.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
