import Logging
import Platform

/// One client connection, driven entirely on its event loop's thread.
///
/// Requests are answered strictly in order: while a handler is working on one, the next
/// pipelined request stays in the parser's buffer and the socket is not read (which is also
/// the backpressure on a client that sends faster than we answer).
///
/// A request's route is chosen as soon as its head is parsed: the route's admission check,
/// its body limit and the memory budget decide whether the body is read at all, before
/// `100 Continue` and before a byte of it is buffered. A refused body is never read; the
/// refusal closes the connection (RFC 9110 §15.5.14 allows it for 413, and the unread body
/// leaves nothing else to do with the stream).
// @unchecked: a connection is used only on its loop's thread; the one reference that leaves it
// (the async responder's) comes back through `EventLoop.execute` before it is touched.
final class HTTPConnection: @unchecked Sendable {
    /// The request being answered, kept for the access log and metrics.
    private struct Exchange {
        var method: String
        var path: String
        var routeName: String?
        var version: HTTPVersion
        var keepAlive: Bool
        var isHead: Bool
        var startedAt: UInt64
        var sequence: UInt64
    }

    /// The route chosen on the head of the request whose body is being read.
    private struct AdmittedRoute {
        var handler: Router.RouteHandler
        var request: HTTPRequest
        var routeName: String
    }

    /// Stop parsing new requests (and reading) while this much output is unsent.
    static let outputHighWater = 256 << 10
    /// A chunked body's reservation is kept this far ahead of what it holds: the most one
    /// `readInput` call can read, so no read outruns the budget.
    private var chunkedReadAhead: Int { loop.readBuffer.count * Self.readsPerEvent }
    private static let readsPerEvent = 4
    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    let fd: Int32
    private unowned let loop: EventLoop
    private let remoteAddress: String
    private let isLoopback: Bool
    private var parser: HTTPRequestParser
    private var timeouts: ConnectionTimeouts
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var registeredEvents = PollEvents.readable
    private var inFlight: Exchange?
    private var admitted: AdmittedRoute?
    /// Budget held for the body being read, then for the request until its response is queued.
    private var bodyReservation: MemoryReservation?
    private var sequence: UInt64 = 0
    /// The last send found the socket's buffer full: wait for writability, read nothing more.
    /// Apart from `phase` because it comes and goes in any phase that still writes.
    private var writeBlocked = false
    /// Changed only through `move(to:)`, which checks the transition.
    private(set) var phase = Phase.open

    /// Where a connection is in its life.
    enum Phase: Equatable {
        /// Reading and answering requests; more may follow on this connection.
        case open
        /// The peer closed its sending side: requests already buffered are still answered (a
        /// client that half-closes after its request gets its answer); none can follow.
        case inputEnded
        /// No request after the ones being answered: an error, `Connection: close`, HTTP/1.0,
        /// a draining server. `inputEnded` when the peer has closed its side as well.
        case closingAfterResponse(inputEnded: Bool)
        /// Our sending side is shut and input is read and discarded until the peer closes or
        /// the linger time passes, so a client still sending reads our last response instead
        /// of a reset.
        case lingering
        case closed

        /// The moves a connection makes; any other is a bug.
        func canMove(to next: Phase) -> Bool {
            switch (self, next) {
            case (.closed, _):
                return false
            case (_, .closed),
                 (.open, .inputEnded),
                 (.open, .closingAfterResponse(inputEnded: false)),
                 (.inputEnded, .closingAfterResponse(inputEnded: true)),
                 (.closingAfterResponse(inputEnded: false), .closingAfterResponse(inputEnded: true)),
                 (.closingAfterResponse(inputEnded: false), .lingering),
                 (.lingering, .lingering):
                return true
            default:
                return false
            }
        }
    }

    var isClosed: Bool { phase == .closed }

    /// Checked in debug builds (so by every test); the event loop's hot path stays free of it
    /// in release builds.
    private func move(to next: Phase) {
        assert(phase.canMove(to: next), "HTTPConnection cannot go from \(phase) to \(next)")
        phase = next
    }

    /// Whether the peer has closed its sending side.
    private var peerClosedInput: Bool {
        switch phase {
        case .inputEnded, .closingAfterResponse(inputEnded: true): true
        default: false
        }
    }

    /// Whether the connection ends once what it is answering is written.
    private var closesAfterResponse: Bool {
        switch phase {
        case .closingAfterResponse, .lingering: true
        default: false
        }
    }

    /// No request after the ones being answered.
    private func closeAfterResponse() {
        switch phase {
        case .open: move(to: .closingAfterResponse(inputEnded: false))
        case .inputEnded: move(to: .closingAfterResponse(inputEnded: true))
        case .closingAfterResponse, .lingering, .closed: break
        }
    }

    /// The peer closed its sending side (`recv` returned 0).
    private func peerEndedInput() {
        switch phase {
        case .open: move(to: .inputEnded)
        case .closingAfterResponse(inputEnded: false): move(to: .closingAfterResponse(inputEnded: true))
        case .inputEnded, .closingAfterResponse, .lingering, .closed: break
        }
    }

    init(fd: Int32, loop: EventLoop, remoteAddress: String, isLoopback: Bool) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = remoteAddress
        self.isLoopback = isLoopback
        parser = HTTPRequestParser(limits: loop.server.configuration.limits, decidesBodies: true)
        timeouts = ConnectionTimeouts(durations: loop.server.timeoutDurations, now: loop.now)
    }

    var deadline: UInt64? { timeouts.deadline }

    // MARK: - Events

    func handle(events: PollEvents) {
        if events.contains(.error) {
            close()
            return
        }
        if phase == .lingering {
            discardInput()
            return
        }
        if events.contains(.writable) {
            drive()
        }
        guard !isClosed, !events.isDisjoint(with: [.readable, .hangUp]) else { return }
        if wantsInput {
            readInput()
        } else if events.contains(.hangUp) {
            close()  // Both directions are gone (reset): nothing can be written any more.
        }
    }

    private var wantsInput: Bool {
        phase == .open && !writeBlocked && inFlight == nil
            && output.count - outputOffset < Self.outputHighWater
    }

    private func readInput() {
        guard reserveChunkedReadAhead() else {
            drive()
            return
        }
        var reads = 0
        reading: while true {
            switch Socket.receive(fd, into: loop.readBuffer) {
            case .bytes(let count):
                parser.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                reads += 1
                if count < loop.readBuffer.count || reads >= Self.readsPerEvent { break reading }
            case .endOfStream:
                peerEndedInput()
                break reading
            case .wouldBlock:
                break reading
            case .failed:
                close()  // ECONNRESET and friends: the client is gone.
                return
            }
        }
        if reads > 0 {
            timeouts.bytesReceived(now: loop.now, readingBody: parser.isReadingBody)
            loop.noteDeadline(timeouts.deadline)
        }
        drive()
        if !isClosed && peerClosedInput {
            // A client that half-closes after its request still gets the answer; one that
            // leaves mid-request is simply dropped.
            if inFlight == nil && output.count == outputOffset {
                close()
            } else {
                closeAfterResponse()
            }
        }
        updateInterest()
    }

    /// Parses and answers buffered requests and writes what is ready, until blocked.
    private func drive() {
        while !isClosed {
            let stoppedForOutput = processBufferedRequests()
            let flushed = flush()
            if !(stoppedForOutput && flushed) { break }
        }
        updateInterest()
    }

    /// Answers complete requests from the parser; true when it stopped only because too much
    /// output is waiting.
    private func processBufferedRequests() -> Bool {
        while inFlight == nil && (phase == .open || phase == .inputEnded) {
            if output.count - outputOffset >= Self.outputHighWater { return true }
            switch parser.next() {
            case .needMore:
                if parser.takeContinueRequest() {
                    output.append(contentsOf: Self.continueLine)
                }
                if parser.isReadingBody {
                    timeouts.bytesReceived(now: loop.now, readingBody: true)
                    loop.noteDeadline(timeouts.deadline)
                }
                return false
            case .head(let head, let framing):
                admitBody(head, framing)
            case .request(let request):
                dispatch(request)
            case .error(let error):
                answerParseError(error)
            }
        }
        return false
    }

    // MARK: - Requests

    private func makeExchange(_ request: HTTPRequest, routeName: String?) -> Exchange {
        sequence += 1
        return Exchange(
            method: request.method, path: request.path, routeName: routeName, version: request.version,
            keepAlive: request.wantsKeepAlive, isHead: request.method == "HEAD",
            startedAt: MonotonicClock.nanoseconds(), sequence: sequence)
    }

    /// Decides on the head whether the body is read: the route must exist, admit the request
    /// and take a body this large, and the memory budget must have room for it.
    private func admitBody(_ head: HTTPRequest, _ framing: HTTPBodyFraming) {
        var request = head
        request.remoteAddress = remoteAddress
        request.isLoopback = isLoopback
        let server = loop.server
        switch server.router.resolve(request) {
        case .response(let response, let routeName):
            refuse(response, request, routeName: routeName)
        case .handler(let handler, let routed, let routeName, let routeLimit):
            let limit = min(routeLimit, server.configuration.limits.maxBodyBytes)
            if limit == 0 {
                refuse(.problem(status: 413, detail: "\(request.method) \(routeName) takes no request body."),
                       request, routeName: routeName)
                return
            }
            let initial: Int
            switch framing {
            case .length(let length):
                if length > limit {
                    refuse(.problem(status: 413, detail: "\(request.method) \(routeName) takes bodies of at most "
                                        + "\(limit) bytes; this one declares \(length)."),
                           request, routeName: routeName)
                    return
                }
                initial = length
            case .chunked:
                initial = min(limit, chunkedReadAhead)
            }
            if let refusal = reserveBody(initial) {
                refuse(refusal, request, routeName: routeName)
                return
            }
            admitted = AdmittedRoute(handler: handler, request: routed, routeName: routeName)
            parser.acceptBody(limit: limit)
        }
    }

    /// Grows the body reservation to `total` bytes; the refusal to answer when the budget
    /// cannot: 413 when it never could, 503 when it is only busy now.
    private func reserveBody(_ total: Int) -> HTTPResponse? {
        guard let budget = loop.server.configuration.memoryBudget else { return nil }
        let held = bodyReservation?.bytes ?? 0
        guard total > held else { return nil }
        if let reservation = bodyReservation {
            if reservation.grow(by: total - held) { return nil }
        } else if let reservation = budget.reserve(total) {
            bodyReservation = reservation
            return nil
        }
        if !budget.canEverFit(total) {
            return .problem(status: 413, detail: "The request body (\(total) bytes) is larger than the server's "
                                + "memory budget for requests (\(budget.capacity) bytes).")
        }
        return .problem(status: 503, title: "Overloaded",
                        detail: "The server is holding as much request data as its memory budget allows; retry shortly.",
                        headers: ["Retry-After": "1"])
    }

    /// Keeps a chunked body's reservation one read ahead of what it holds; false (after
    /// queueing the refusal) when the budget has no room for the next read.
    private func reserveChunkedReadAhead() -> Bool {
        guard parser.isReadingChunkedBody, let route = admitted, let reservation = bodyReservation else {
            return true
        }
        let needed = parser.bufferedBodyBytes + chunkedReadAhead
        guard needed > reservation.bytes else { return true }
        // Doubling keeps the number of budget calls logarithmic in the body size.
        let wanted = max(needed, reservation.bytes * 2)
        if reserveBody(wanted) == nil { return true }
        guard let refusal = reserveBody(needed) else { return true }
        refuse(refusal, route.request, routeName: route.routeName)
        return false
    }

    /// Answers a request whose body is not read, and ends the connection after the answer.
    private func refuse(_ response: HTTPResponse, _ request: HTTPRequest, routeName: String?) {
        admitted = nil
        closeAfterResponse()
        complete(response, makeExchange(request, routeName: routeName))
    }

    private func dispatch(_ parsed: HTTPRequest) {
        if let route = admitted {
            admitted = nil
            var routed = route.request
            routed.body = parsed.body
            bodyReservation?.shrink(to: routed.body.count)
            run(route.handler, routed, makeExchange(routed, routeName: route.routeName))
            return
        }
        var request = parsed
        request.remoteAddress = remoteAddress
        request.isLoopback = isLoopback
        switch loop.server.router.resolve(request) {
        case .response(let response, let routeName):
            complete(response, makeExchange(request, routeName: routeName))
        case .handler(let handler, let routed, let routeName, _):
            run(handler, routed, makeExchange(routed, routeName: routeName))
        }
    }

    private func run(_ handler: Router.RouteHandler, _ request: HTTPRequest, _ exchange: Exchange) {
        switch handler {
        case .sync(let handler):
            complete(Router.run(handler, request, logger: loop.server.logger), exchange)
        case .async(let handler):
            inFlight = exchange
            timeouts.requestDispatched()
            let token = exchange.sequence
            weak let connection = self
            let responder = HTTPResponder(loop: loop) { [loop] response in
                loop.execute {
                    loop.answerArrived()
                    connection?.asyncResponseArrived(response, sequence: token)
                }
            }
            loop.answerAwaited()
            handler(request, responder)
            if responder.hasSent { loop.handlerAnsweredInline() }
        }
    }

    private func asyncResponseArrived(_ response: HTTPResponse, sequence token: UInt64) {
        guard !isClosed, let exchange = inFlight, exchange.sequence == token else { return }
        inFlight = nil
        complete(response, exchange)
        drive()
    }

    /// Queues the response for `exchange` and reports it.
    private func complete(_ response: HTTPResponse, _ exchange: Exchange) {
        bodyReservation?.release()
        bodyReservation = nil
        timeouts.responseQueued()
        let keepAlive = exchange.keepAlive && phase == .open && !loop.isDraining && !response.requestsClose
        if !keepAlive { closeAfterResponse() }
        response.serialize(
            into: &output, keepAlive: keepAlive, version: exchange.version, omitBody: exchange.isHead,
            date: loop.date.current(), serverName: loop.server.configuration.serverName)
        let finishedAt = MonotonicClock.nanoseconds()
        loop.server.report(RequestRecord(
            method: exchange.method, route: exchange.routeName, path: exchange.path, status: response.status,
            responseBytes: exchange.isHead || response.forbidsContent ? 0 : response.body.count,
            durationSeconds: Double(finishedAt &- exchange.startedAt) / 1e9))
    }

    private func answerParseError(_ error: HTTPParseError) {
        closeAfterResponse()
        admitted = nil
        bodyReservation?.release()
        bodyReservation = nil
        timeouts.responseQueued()
        let response = HTTPResponse.problem(status: error.status, detail: error.detail)
        response.serialize(into: &output, keepAlive: false, version: .http1_1, omitBody: false,
                           date: loop.date.current(), serverName: loop.server.configuration.serverName)
        loop.server.logger.debug("malformed request", metadata: [
            "remote": "\(remoteAddress)", "error": "\(error)", "status": "\(error.status)",
        ])
        loop.server.report(RequestRecord(method: "-", route: nil, path: "-", status: error.status,
                                         responseBytes: response.body.count, durationSeconds: 0))
    }

    // MARK: - Writing

    /// Writes pending output; true when everything is written (and the connection open).
    private func flush() -> Bool {
        var progressed = false
        while outputOffset < output.count {
            let sent = output.withUnsafeBytes { bytes in
                Socket.send(fd, UnsafeRawBufferPointer(rebasing: bytes[outputOffset...]))
            }
            switch sent {
            case .bytes(let written):
                outputOffset += written
                progressed = true
            case .wouldBlock:
                if progressed || !writeBlocked { timeouts.writeStalled(now: loop.now) }
                writeBlocked = true
                loop.noteDeadline(timeouts.deadline)
                return false
            case .endOfStream, .failed:
                close()  // EPIPE, ECONNRESET: nobody is reading any more.
                return false
            }
        }
        writeBlocked = false
        timeouts.outputDrained()
        if output.capacity > 1 << 20 {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputOffset = 0
        if inFlight == nil {
            if closesAfterResponse {
                startLingeringClose()
                return false
            }
            if progressed {
                timeouts.responseWritten(now: loop.now, partialRequestBuffered: parser.hasPartialRequest)
                loop.noteDeadline(timeouts.deadline)
            }
        }
        return !isClosed
    }

    private func updateInterest() {
        guard !isClosed else { return }
        var events: PollEvents = []
        if wantsInput || phase == .lingering { events.insert(.readable) }
        if writeBlocked { events.insert(.writable) }
        if events != registeredEvents {
            registeredEvents = events
            loop.modify(fd, events: events)
        }
    }

    // MARK: - Closing

    /// Shuts the write side and reads until the client closes or the linger time passes, so
    /// a client still sending its body reads our error response instead of a reset.
    private func startLingeringClose() {
        if peerClosedInput {
            close()
            return
        }
        Socket.shutdownSending(fd)
        move(to: .lingering)
        timeouts.lingeringStarted(now: loop.now)
        loop.noteDeadline(timeouts.deadline)
        updateInterest()
        discardInput()
    }

    private func discardInput() {
        while true {
            switch Socket.receive(fd, into: loop.readBuffer) {
            case .bytes: continue
            case .wouldBlock: return
            case .endOfStream, .failed:
                close()
                return
            }
        }
    }

    /// Applies the timeout state machine's verdict for `now`.
    func checkTimeout(now: UInt64) {
        switch timeouts.check(now: now) {
        case .doNothing:
            return
        case .close:
            close()
        case .respondRequestTimeoutAndClose:
            loop.server.logger.debug("request timed out", metadata: ["remote": "\(remoteAddress)"])
            closeAfterResponse()
            admitted = nil
            bodyReservation?.release()
            bodyReservation = nil
            timeouts.responseQueued()
            let response = HTTPResponse.problem(status: 408, detail: "The request was not received in time.")
            response.serialize(into: &output, keepAlive: false, version: .http1_1, omitBody: false,
                               date: loop.date.current(), serverName: loop.server.configuration.serverName)
            drive()
            // A client that stopped reading gets no more time: close whatever is left.
            if phase != .closed && phase != .lingering { close() }
        }
    }

    /// Graceful shutdown: an idle connection closes now, a busy one after its response.
    func beginDrain() {
        if inFlight == nil && !parser.hasPartialRequest && output.count == outputOffset {
            close()
        }
    }

    func close() {
        guard !isClosed else { return }
        move(to: .closed)
        inFlight = nil
        admitted = nil
        bodyReservation?.release()
        bodyReservation = nil
        output = []
        outputOffset = 0
        parser = HTTPRequestParser(limits: parser.limits)
        loop.remove(self)
        Socket.close(fd)
        loop.server.releaseConnection()
    }
}
