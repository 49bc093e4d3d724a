/// The timeout state machine of one connection, kept apart from I/O.
///
/// The connection reports events with the current monotonic time in nanoseconds (the
/// injected clock); `check(now:)` returns what to do when the deadline has passed. Tests drive
/// it with plain numbers, no sockets and no sleeping.
///
/// Two clocks run side by side: the phase deadline (head, body, idle, lingering) and the
/// write-stall deadline, which runs whenever output is pending and stalls, whatever the phase:
/// a client that pipelines requests and never reads is closed at the write timeout even while
/// a handler works on its next request.
struct ConnectionTimeouts: Equatable {
    /// The phase durations in nanoseconds.
    struct Durations: Equatable {
        var headerRead: UInt64
        var bodyRead: UInt64
        var idle: UInt64
        var write: UInt64
        var lingeringClose: UInt64

        init(headerRead: UInt64, bodyRead: UInt64, idle: UInt64, write: UInt64, lingeringClose: UInt64) {
            self.headerRead = headerRead
            self.bodyRead = bodyRead
            self.idle = idle
            self.write = write
            self.lingeringClose = lingeringClose
        }

        init(_ timeouts: HTTPTimeouts) {
            self.init(headerRead: timeouts.headerRead.nanoseconds, bodyRead: timeouts.bodyRead.nanoseconds,
                      idle: timeouts.idle.nanoseconds, write: timeouts.write.nanoseconds,
                      lingeringClose: timeouts.lingeringClose.nanoseconds)
        }
    }

    enum Phase: Equatable {
        /// Between requests on a keep-alive connection.
        case idle
        /// Reading a request head; `receivedBytes` is false on a fresh, silent connection.
        case readingHead(receivedBytes: Bool)
        case readingBody
        /// A handler owns the request; only the shutdown deadline applies.
        case processing
        /// A response is queued and nothing else is going on; the write-stall deadline, if
        /// any, governs.
        case writing
        /// Discarding input after the final response, before closing.
        case lingering
    }

    enum Action: Equatable {
        case doNothing
        /// Close without a word: idle, stalled writes, lingering done, or a silent connection.
        case close
        /// Answer 408 and close: the client started a request and did not finish it in time.
        case respondRequestTimeoutAndClose
    }

    let durations: Durations
    private(set) var phase: Phase
    /// When the current phase times out; nil while a handler is working or a response waits.
    private(set) var phaseDeadline: UInt64?
    /// When stalled output closes the connection; nil while no write is stalled.
    private(set) var writeDeadline: UInt64?

    /// The earliest deadline that applies.
    var deadline: UInt64? {
        guard let writeDeadline else { return phaseDeadline }
        guard let phaseDeadline else { return writeDeadline }
        return min(phaseDeadline, writeDeadline)
    }

    /// A freshly accepted connection: it gets the header timeout to send its first request.
    init(durations: Durations, now: UInt64) {
        self.durations = durations
        phase = .readingHead(receivedBytes: false)
        phaseDeadline = now &+ durations.headerRead
    }

    /// Request bytes arrived; `readingBody` tells whether the parser is past the head.
    mutating func bytesReceived(now: UInt64, readingBody: Bool) {
        switch phase {
        case .idle:
            phase = .readingHead(receivedBytes: true)
            phaseDeadline = now &+ durations.headerRead
            if readingBody { headComplete(now: now) }
        case .readingHead:
            phase = .readingHead(receivedBytes: true)
            if readingBody { headComplete(now: now) }
        case .readingBody, .processing, .writing, .lingering:
            break
        }
    }

    private mutating func headComplete(now: UInt64) {
        phase = .readingBody
        phaseDeadline = now &+ durations.bodyRead
    }

    /// A complete request went to its handler; a stalled write keeps its deadline.
    mutating func requestDispatched() {
        phase = .processing
        phaseDeadline = nil
    }

    /// A response is queued while no handler works: the request's own deadlines end.
    mutating func responseQueued() {
        phase = .writing
        phaseDeadline = nil
    }

    /// A write could not finish after writing something (or at its first attempt): the stall
    /// clock starts again from `now`.
    mutating func writeStalled(now: UInt64) {
        writeDeadline = now &+ durations.write
    }

    /// Every queued byte is written: no write is stalled any more.
    mutating func outputDrained() {
        writeDeadline = nil
    }

    /// Every response is written; `partialRequestBuffered` tells whether the next request
    /// has already started arriving (pipelining).
    mutating func responseWritten(now: UInt64, partialRequestBuffered: Bool) {
        writeDeadline = nil
        if partialRequestBuffered {
            phase = .readingHead(receivedBytes: true)
            phaseDeadline = now &+ durations.headerRead
        } else {
            phase = .idle
            phaseDeadline = now &+ durations.idle
        }
    }

    /// The final response is out and the write side is shut.
    mutating func lingeringStarted(now: UInt64) {
        writeDeadline = nil
        phase = .lingering
        phaseDeadline = now &+ durations.lingeringClose
    }

    /// What to do at `now`.
    func check(now: UInt64) -> Action {
        if let writeDeadline, now >= writeDeadline { return .close }
        guard let phaseDeadline, now >= phaseDeadline else { return .doNothing }
        switch phase {
        case .readingHead(receivedBytes: true), .readingBody:
            return .respondRequestTimeoutAndClose
        case .readingHead(receivedBytes: false), .idle, .writing, .lingering:
            return .close
        case .processing:
            return .doNothing
        }
    }
}
