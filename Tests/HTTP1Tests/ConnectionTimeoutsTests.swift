import Testing
@testable import HTTP1

/// The timeout state machine driven by plain instants (nanoseconds): no sockets, no sleeping.
@Suite("ConnectionTimeouts")
struct ConnectionTimeoutsTests {
    static let durations = ConnectionTimeouts.Durations(
        headerRead: 10, bodyRead: 20, idle: 30, write: 5, lingeringClose: 2)

    /// A connection that never sends a byte is closed silently at the header timeout.
    @Test func silentConnectionIsClosedWithoutResponse() {
        let timeouts = ConnectionTimeouts(durations: Self.durations, now: 100)
        #expect(timeouts.check(now: 109) == .doNothing)
        #expect(timeouts.check(now: 110) == .close)
    }

    /// The header deadline is fixed when the head starts: more bytes do not extend it, which
    /// is what drops a slowloris client.
    @Test func dribbledHeadIsCutAtTheHeaderDeadline() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        for instant in stride(from: UInt64(1), through: 9, by: 2) {
            timeouts.bytesReceived(now: instant, readingBody: false)
        }
        #expect(timeouts.check(now: 9) == .doNothing)
        #expect(timeouts.check(now: 10) == .respondRequestTimeoutAndClose)
    }

    /// Finishing the head switches to the body deadline, counted from that moment.
    @Test func bodyGetsItsOwnDeadline() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.bytesReceived(now: 8, readingBody: true)
        #expect(timeouts.phase == .readingBody)
        #expect(timeouts.check(now: 27) == .doNothing)
        #expect(timeouts.check(now: 28) == .respondRequestTimeoutAndClose)
    }

    /// While a handler works no deadline applies (the shutdown deadline bounds it instead).
    @Test func processingHasNoDeadline() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.bytesReceived(now: 1, readingBody: false)
        timeouts.requestDispatched()
        #expect(timeouts.deadline == nil)
        #expect(timeouts.check(now: .max) == .doNothing)
    }

    /// After a response the idle timeout applies, or the header timeout when the next
    /// pipelined request has already started.
    @Test func afterTheResponse() {
        var idle = ConnectionTimeouts(durations: Self.durations, now: 0)
        idle.requestDispatched()
        idle.responseWritten(now: 50, partialRequestBuffered: false)
        #expect(idle.phase == .idle)
        #expect(idle.check(now: 79) == .doNothing)
        #expect(idle.check(now: 80) == .close)

        var pipelined = ConnectionTimeouts(durations: Self.durations, now: 0)
        pipelined.requestDispatched()
        pipelined.responseWritten(now: 50, partialRequestBuffered: true)
        #expect(pipelined.phase == .readingHead(receivedBytes: true))
        #expect(pipelined.check(now: 60) == .respondRequestTimeoutAndClose)
    }

    /// A new request on an idle connection restarts the header clock from its first byte.
    @Test func idleThenNextRequest() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.responseWritten(now: 5, partialRequestBuffered: false)
        timeouts.bytesReceived(now: 30, readingBody: false)
        #expect(timeouts.deadline == 40)
        #expect(timeouts.check(now: 39) == .doNothing)
    }

    /// A stalled write is closed after the write timeout; progress restarts that clock.
    @Test func stalledWrites() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.requestDispatched()
        timeouts.writeStalled(now: 10)
        timeouts.writeStalled(now: 14)
        #expect(timeouts.check(now: 18) == .doNothing)
        #expect(timeouts.check(now: 19) == .close)
    }

    /// The write deadline keeps running when a pipelined request is dispatched while the
    /// connection is write-blocked (issue 11: it used to be switched off, so a client that
    /// pipelines and never reads kept its connection and its output forever).
    @Test func dispatchWhileWriteBlockedKeepsTheWriteDeadline() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.responseQueued()
        timeouts.writeStalled(now: 10)
        timeouts.requestDispatched()
        #expect(timeouts.phase == .processing)
        #expect(timeouts.deadline == 15)
        #expect(timeouts.check(now: 14) == .doNothing)
        #expect(timeouts.check(now: 15) == .close)
    }

    /// The write deadline also outlives a body being read and a head arriving: whatever the
    /// phase, stalled output closes the connection at the write timeout.
    @Test func writeDeadlineRunsInEveryPhase() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.writeStalled(now: 1)
        timeouts.bytesReceived(now: 2, readingBody: true)
        #expect(timeouts.phase == .readingBody)
        #expect(timeouts.deadline == 6)
        #expect(timeouts.check(now: 6) == .close)
    }

    /// Output drained while a handler works ends the write deadline and leaves no other: the
    /// handler's time is bounded by the shutdown deadline alone.
    @Test func drainedOutputEndsTheWriteDeadline() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.writeStalled(now: 1)
        timeouts.requestDispatched()
        timeouts.outputDrained()
        #expect(timeouts.deadline == nil)
        #expect(timeouts.check(now: 1_000) == .doNothing)
    }

    /// A queued response ends the request's head and body deadlines: a slow client reading a
    /// large answer is bounded by the write timeout, not sent a 408 for a request it finished.
    @Test func queuedResponseEndsTheRequestDeadlines() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.bytesReceived(now: 1, readingBody: true)
        timeouts.responseQueued()
        #expect(timeouts.phase == .writing)
        #expect(timeouts.deadline == nil)
        timeouts.writeStalled(now: 30)
        #expect(timeouts.check(now: 34) == .doNothing)
        #expect(timeouts.check(now: 35) == .close)
    }

    /// Lingering after the final response ends at its own short deadline.
    @Test func lingeringClose() {
        var timeouts = ConnectionTimeouts(durations: Self.durations, now: 0)
        timeouts.lingeringStarted(now: 3)
        #expect(timeouts.check(now: 4) == .doNothing)
        #expect(timeouts.check(now: 5) == .close)
    }

    /// Configuration durations convert to nanoseconds exactly.
    @Test func durationsFromConfiguration() {
        let durations = ConnectionTimeouts.Durations(HTTPTimeouts(
            headerRead: .milliseconds(1500), bodyRead: .seconds(2), idle: .microseconds(7), write: .nanoseconds(9),
            lingeringClose: .seconds(0)))
        #expect(durations == ConnectionTimeouts.Durations(
            headerRead: 1_500_000_000, bodyRead: 2_000_000_000, idle: 7_000, write: 9, lingeringClose: 0))
    }
}
