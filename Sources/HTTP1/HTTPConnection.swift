import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One client connection, driven entirely on its event loop's thread.
///
/// Requests are answered strictly in order: while a handler is working on one, the next
/// pipelined request stays in the parser's buffer and the socket is not read (which is also
/// the backpressure on a client that sends faster than we answer).
final class HTTPConnection {
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

    /// Stop parsing new requests while this much output is unsent.
    private static let outputHighWater = 1 << 20
    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    let fd: Int32
    private unowned let loop: EventLoop
    private let remoteAddress: String
    private let isLoopback: Bool
    private var parser: HTTPRequestParser
    private var timeouts: ConnectionTimeouts
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var registeredEvents = Epoll.input
    private var inFlight: Exchange?
    private var sequence: UInt64 = 0
    /// No request after the current one: an error, `Connection: close`, or draining.
    private var closeAfterResponse = false
    private var peerClosedInput = false
    private var writeBlocked = false
    private var isLingering = false
    private(set) var isClosed = false

    init(fd: Int32, loop: EventLoop, remoteAddress: String, isLoopback: Bool) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = remoteAddress
        self.isLoopback = isLoopback
        parser = HTTPRequestParser(limits: loop.server.configuration.limits)
        timeouts = ConnectionTimeouts(durations: loop.server.timeoutDurations, now: loop.now)
    }

    var deadline: UInt64? { timeouts.deadline }

    // MARK: - Events

    func handle(events: UInt32) {
        if events & Epoll.error != 0 {
            close()
            return
        }
        if isLingering {
            discardInput()
            return
        }
        if events & Epoll.output != 0 {
            drive()
        }
        guard !isClosed, events & (Epoll.input | Epoll.hangUp) != 0 else { return }
        if wantsInput {
            readInput()
        } else if events & Epoll.hangUp != 0 {
            close()  // Both directions are gone (reset): nothing can be written any more.
        }
    }

    private var wantsInput: Bool {
        !peerClosedInput && !writeBlocked && inFlight == nil && !closeAfterResponse
    }

    private func readInput() {
        var reads = 0
        while true {
            let count = recv(fd, loop.readBuffer.baseAddress, loop.readBuffer.count, 0)
            if count > 0 {
                parser.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                reads += 1
                if count < loop.readBuffer.count || reads >= 4 { break }
            } else if count == 0 {
                peerClosedInput = true
                break
            } else {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { break }
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
                closeAfterResponse = true
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
        while inFlight == nil && !closeAfterResponse && !isClosed {
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
            case .request(let request):
                dispatch(request)
            case .error(let error):
                answerParseError(error)
            }
        }
        return false
    }

    // MARK: - Requests

    private func dispatch(_ parsed: HTTPRequest) {
        var request = parsed
        request.remoteAddress = remoteAddress
        request.isLoopback = isLoopback
        sequence += 1
        var exchange = Exchange(
            method: request.method, path: request.path, routeName: nil, version: request.version,
            keepAlive: request.wantsKeepAlive, isHead: request.method == "HEAD",
            startedAt: monotonicNanoseconds(), sequence: sequence)
        let server = loop.server
        switch server.router.resolve(request) {
        case .response(let response, let routeName):
            exchange.routeName = routeName
            complete(response, exchange)
        case .handler(.sync(let handler), let routed, let routeName):
            exchange.routeName = routeName
            complete(Router.run(handler, routed, logger: server.logger), exchange)
        case .handler(.async(let handler), let routed, let routeName):
            exchange.routeName = routeName
            inFlight = exchange
            timeouts.requestDispatched()
            let token = exchange.sequence
            let responder = HTTPResponder { [weak self, loop] response in
                loop.execute { self?.asyncResponseArrived(response, sequence: token) }
            }
            handler(routed, responder)
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
        let keepAlive = exchange.keepAlive && !closeAfterResponse && !loop.isDraining && !response.requestsClose
            && !peerClosedInput
        if !keepAlive { closeAfterResponse = true }
        response.serialize(
            into: &output, keepAlive: keepAlive, version: exchange.version, omitBody: exchange.isHead,
            date: loop.date.current(), serverName: loop.server.configuration.serverName)
        let finishedAt = monotonicNanoseconds()
        loop.server.report(RequestRecord(
            method: exchange.method, route: exchange.routeName, path: exchange.path, status: response.status,
            responseBytes: exchange.isHead || response.forbidsContent ? 0 : response.body.count,
            durationSeconds: Double(finishedAt &- exchange.startedAt) / 1e9))
    }

    private func answerParseError(_ error: HTTPParseError) {
        closeAfterResponse = true
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
            let written = output.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress! + outputOffset, bytes.count - outputOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outputOffset += written
                progressed = true
                continue
            }
            let code = errno
            if written < 0 && code == EINTR { continue }
            if written < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                if progressed || !writeBlocked { timeouts.writeStalled(now: loop.now) }
                writeBlocked = true
                loop.noteDeadline(timeouts.deadline)
                return false
            }
            close()  // EPIPE, ECONNRESET: nobody is reading any more.
            return false
        }
        writeBlocked = false
        if output.capacity > 1 << 20 {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputOffset = 0
        if inFlight == nil {
            if closeAfterResponse {
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
        var events: UInt32 = 0
        if wantsInput || isLingering { events |= Epoll.input }
        if writeBlocked { events |= Epoll.output }
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
        shutdown(fd, Int32(SHUT_WR))
        isLingering = true
        timeouts.lingeringStarted(now: loop.now)
        loop.noteDeadline(timeouts.deadline)
        updateInterest()
        discardInput()
    }

    private func discardInput() {
        while true {
            let count = recv(fd, loop.readBuffer.baseAddress, loop.readBuffer.count, 0)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            close()
            return
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
            closeAfterResponse = true
            let response = HTTPResponse.problem(status: 408, detail: "The request was not received in time.")
            response.serialize(into: &output, keepAlive: false, version: .http1_1, omitBody: false,
                               date: loop.date.current(), serverName: loop.server.configuration.serverName)
            drive()
            // A client that stopped reading gets no more time: close whatever is left.
            if !isClosed && !isLingering { close() }
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
        isClosed = true
        inFlight = nil
        loop.remove(self)
        Glibc.close(fd)
        loop.server.releaseConnection()
    }
}
