import Logging
import Platform
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread waiting on a `Poller` (epoll or poll(2), per `HTTPServerConfiguration.poller`)
/// over its share of the connections.
///
/// Everything a connection does happens on its loop's thread, so connections need no locks.
/// Other threads reach a loop only through `execute(_:)`, which queues a closure and wakes the
/// loop through its `Waker`. Deadlines are checked by a sweep that runs when the earliest known
/// deadline passes, so a thousand idle connections cost one dictionary entry each and no
/// timer syscalls.
// @unchecked: the loop's own state is touched only on its thread (`run` and what it calls);
// the one entry other threads use, `execute`, goes through the `crossThread` mutex.
final class EventLoop: @unchecked Sendable {
    private static let wakeToken = UInt64.max
    private static let listenerToken = UInt64.max - 1

    /// Strong on purpose: a running server stays alive even if its owner lets go of it; the
    /// cycle is broken when the loops stop.
    let server: HTTPServer
    let logger: Logger
    private let poller: any Poller
    private let waker: Waker
    private var listenFD: Int32 = -1
    private var isListening = false
    private var acceptPausedUntil: UInt64?

    private var connections: [Int32: HTTPConnection] = [:]

    /// What other threads share with the loop.
    private struct CrossThread {
        var tasks: [@Sendable () -> Void] = []
        var wakePending = false
        /// Set when the thread has ended and its descriptors are closed: late tasks (a
        /// responder answering after the shutdown deadline) are dropped instead of writing to
        /// a closed, possibly reused, waker descriptor.
        var isStopped = false
        /// The loop's thread, so `execute` called from it skips the wake-up write and only it
        /// is told whether the loop is otherwise idle.
        var threadID: pthread_t?

        /// Whether the caller runs on the loop's thread.
        var isLoopThread: Bool { threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
    private let crossThread = Mutex(CrossThread())

    /// The monotonic time read after the last wait.
    private(set) var now: UInt64

    /// Events one wait reports at most: a wait that fills them may have left more ready.
    private static let eventsPerWait = 256
    /// Ready events of the current wait still to be handled after the one being handled, or
    /// `eventsPerWait` when the wait filled its buffer (more may be ready); 0 outside the
    /// dispatch of a wait's events.
    private var readyEventsAfterCurrent = 0
    /// Cross-thread tasks taken for running still to run after the one running.
    private var tasksAfterCurrent = 0
    /// Whether a handler on this loop has already answered before returning (done its work on
    /// the loop's thread) since the last wait: the loop's other descriptors have waited that
    /// long unpolled, so the next request is not handed the thread too.
    private var handlerAnsweredInlineSinceWait = false
    /// Requests this loop's handlers have handed to another thread and whose answers have not
    /// come back yet: while there are any, the loop sleeps rather than busy-polls, leaving the
    /// cores to the threads computing those answers.
    private var answersAwaited = 0
    /// Whether the last wait reported anything or a task ran after it: only then is a next
    /// event likely soon enough to be worth busy-polling for.
    private var workedSinceWait = false
    /// `HTTPServerConfiguration.busyPoll` in nanoseconds.
    private let busyPollNanoseconds: UInt64
    /// When the next deadline sweep is due.
    private var nextSweep = UInt64.max
    private(set) var isDraining = false
    private var drainDeadline = UInt64.max

    /// A descriptor held in reserve: at the descriptor limit it is given up for a moment so the
    /// pending connection can be accepted, told 503 and closed, instead of waiting unanswered
    /// in the backlog (or making the listener spin).
    private var spare = SpareDescriptor()

    /// Scratch memory every read on this loop goes through.
    let readBuffer: UnsafeMutableRawBufferPointer
    var date = HTTPDate()

    init(server: HTTPServer, logger: Logger) throws {
        self.server = server
        self.logger = logger
        do {
            poller = try server.configuration.poller.makePoller(capacity: Self.eventsPerWait)
        } catch {
            throw HTTPServerError(error)
        }
        do {
            waker = try Waker()
        } catch {
            poller.close()
            throw HTTPServerError(error)
        }
        busyPollNanoseconds = server.configuration.busyPoll.nanoseconds
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        now = MonotonicClock.nanoseconds()
        register(waker.fd, token: Self.wakeToken, events: .readable)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: - Cross-thread entry

    /// Runs `task` on the loop thread; callable from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        let mustWake = crossThread.withLock { shared -> Bool in
            guard !shared.isStopped else { return false }
            let onLoop = shared.isLoopThread
            shared.tasks.append(task)
            let mustWake = !onLoop && !shared.wakePending
            if mustWake { shared.wakePending = true }
            return mustWake
        }
        if mustWake { waker.wake() }
    }

    /// Starts accepting on `fd` (shared by every loop; with epoll, EPOLLEXCLUSIVE wakes one
    /// loop per connection instead of all of them).
    func startListening(on fd: Int32) {
        listenFD = fd
        resumeAccepting()
    }

    /// Stops accepting, closes idle connections and marks the rest to close after their
    /// current response. The loop thread ends once no connection is left or at `deadline`.
    func beginDrain(deadline: UInt64) {
        if !isDraining {
            stopAccepting()
            listenFD = -1
            server.loopStoppedAccepting()
        }
        isDraining = true
        drainDeadline = min(drainDeadline, deadline)
        noteDeadline(drainDeadline)
        for connection in Array(connections.values) {
            connection.beginDrain()
        }
    }

    // MARK: - Registration

    /// Connections are registered under their descriptor; the wake-up and listener tokens
    /// lie above every descriptor.
    @inline(__always)
    private static func token(_ fd: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd))
    }

    private func register(_ fd: Int32, token: UInt64, events: PollEvents, exclusive: Bool = false) {
        do {
            try poller.add(fd, token: token, events: events, exclusive: exclusive)
        } catch {
            logger.error("cannot watch a descriptor", metadata: ["error": "\(error)"])
        }
    }

    /// Changes the events a connection waits for.
    func modify(_ fd: Int32, events: PollEvents) {
        do {
            try poller.modify(fd, token: Self.token(fd), events: events)
        } catch {
            logger.error("cannot change a descriptor's events", metadata: ["error": "\(error)"])
        }
    }

    /// Forgets a connection whose descriptor is about to be closed.
    func remove(_ connection: HTTPConnection) {
        connections[connection.fd] = nil
        poller.removeBeforeClose(connection.fd)
    }

    /// Makes sure the sweep runs no later than `deadline`.
    @inline(__always)
    func noteDeadline(_ deadline: UInt64?) {
        if let deadline, deadline < nextSweep { nextSweep = deadline }
    }

    private func resumeAccepting() {
        guard listenFD >= 0, !isListening, !isDraining else { return }
        register(listenFD, token: Self.listenerToken, events: .readable, exclusive: true)
        isListening = true
        acceptPausedUntil = nil
    }

    private func stopAccepting() {
        guard isListening else { return }
        try? poller.remove(listenFD)
        isListening = false
    }

    // MARK: - The loop

    /// The thread body; returns once drained.
    func run() {
        crossThread.withLock { $0.threadID = pthread_self() }
        while true {
            let waitMilliseconds: Int32
            if nextSweep == .max {
                waitMilliseconds = 1000
            } else if nextSweep <= now {
                waitMilliseconds = 0
            } else {
                waitMilliseconds = Int32(min(1000, (nextSweep - now + 999_999) / 1_000_000))
            }
            let count: Int
            do {
                count = try waitForEvents(timeoutMilliseconds: waitMilliseconds)
            } catch {
                now = MonotonicClock.nanoseconds()
                logger.critical("waiting for events failed", metadata: ["error": "\(error)"])
                break
            }
            now = MonotonicClock.nanoseconds()
            handlerAnsweredInlineSinceWait = false
            workedSinceWait = count > 0
            for index in 0..<count {
                let event = poller.event(at: index)
                readyEventsAfterCurrent = count == Self.eventsPerWait ? count : count - index - 1
                switch event.token {
                case Self.wakeToken:
                    waker.reset()
                    crossThread.withLock { $0.wakePending = false }
                case Self.listenerToken:
                    acceptConnections()
                default:
                    let fd = Int32(truncatingIfNeeded: event.token)
                    connections[fd]?.handle(events: event.events)
                }
            }
            readyEventsAfterCurrent = 0
            runTasks()
            if now >= nextSweep { sweep() }
            if isDraining && connections.isEmpty { break }
        }
        for connection in Array(connections.values) { connection.close() }
        crossThread.withLock { shared in
            shared.isStopped = true
            shared.tasks.removeAll()
        }
        waker.close()
        poller.close()
        spare.close()
        server.loopStopped()
    }

    /// The poller's wait, preceded by up to `busyPollNanoseconds` of non-blocking polls when
    /// the loop has just worked, waits for no other thread's answer and has no deadline due:
    /// a request arriving within that time is read at once instead of after a wake-up. Each
    /// empty poll yields the core, so a runnable thread sharing it (the client, an inference
    /// thread) is not kept waiting.
    private func waitForEvents(timeoutMilliseconds: Int32) throws(SystemCallError) -> Int {
        if busyPollNanoseconds > 0 && timeoutMilliseconds != 0 && workedSinceWait && answersAwaited == 0 && !isDraining {
            let until = MonotonicClock.nanoseconds() &+ busyPollNanoseconds
            repeat {
                let count = try poller.wait(timeoutMilliseconds: 0)
                if count > 0 { return count }
                Threads.yield()
            } while MonotonicClock.nanoseconds() < until
        }
        return try poller.wait(timeoutMilliseconds: timeoutMilliseconds)
    }

    private func runTasks() {
        while true {
            let pending = crossThread.withLock { shared -> [@Sendable () -> Void] in
                let pending = shared.tasks
                shared.tasks = []
                return pending
            }
            if pending.isEmpty { return }
            workedSinceWait = true
            for (index, task) in pending.enumerated() {
                tasksAfterCurrent = pending.count - index - 1
                task()
            }
            tasksAfterCurrent = 0
        }
    }

    // MARK: - Idleness, for handlers

    /// Whether the loop has nothing to do besides the request it is dispatching: no other
    /// descriptor ready from its last wait, no task queued for it (another thread's answer to
    /// write), and no handler that has already done its work on this thread since the wait.
    /// A handler that finds it so can do a short piece of work on the loop's thread instead
    /// of handing it to another thread and back (`HTTPResponder.loopIsOtherwiseIdle`), and
    /// nobody waits for it. Requests still in the kernel's buffers are not seen: after one
    /// handler has answered inline, the loop polls again before it tells the next one it
    /// is idle, so it never goes more than one such piece of work without polling.
    /// False on any other thread, which cannot know (the loop's own state is read only after
    /// the thread is checked).
    var isOtherwiseIdle: Bool {
        crossThread.withLock { $0.isLoopThread && $0.tasks.isEmpty }
            && readyEventsAfterCurrent == 0 && tasksAfterCurrent == 0 && !handlerAnsweredInlineSinceWait
    }

    /// Notes, on the loop's thread, that a handler is about to run whose answer may come from
    /// another thread; `answerArrived` balances it when that answer is run on the loop.
    func answerAwaited() {
        answersAwaited += 1
    }

    /// Balances one `answerAwaited`, on the loop's thread.
    func answerArrived() {
        answersAwaited -= 1
    }

    /// Notes that a handler answered before returning, on the loop's thread.
    func handlerAnsweredInline() {
        handlerAnsweredInlineSinceWait = true
    }

    /// Applies every passed deadline and finds the next one.
    private func sweep() {
        nextSweep = .max
        if let pausedUntil = acceptPausedUntil {
            if now >= pausedUntil { resumeAccepting() } else { noteDeadline(pausedUntil) }
        }
        if isDraining && now >= drainDeadline {
            if !connections.isEmpty {
                logger.warning("shutdown deadline passed; closing connections", metadata: ["connections": "\(connections.count)"])
            }
            for connection in Array(connections.values) { connection.close() }
            return
        }
        noteDeadline(isDraining ? drainDeadline : nil)
        for connection in Array(connections.values) {
            connection.checkTimeout(now: now)
            if !connection.isClosed { noteDeadline(connection.deadline) }
        }
    }

    private func acceptConnections() {
        // A listener event can still be in the batch after draining stopped accepting.
        guard isListening else { return }
        for _ in 0..<64 {
            switch Socket.accept(listenFD) {
            case .accepted(let fd, let peer):
                guard server.reserveConnection() else {
                    Self.refuseOverCapacity(fd)
                    continue
                }
                Socket.setNoDelay(fd)
                let connection = HTTPConnection(fd: fd, loop: self, remoteAddress: peer.text, isLoopback: peer.isLoopback)
                connections[fd] = connection
                register(fd, token: Self.token(fd), events: .readable)
                noteDeadline(connection.deadline)
            case .noneWaiting:
                return
            case .retry:
                continue
            case .outOfDescriptors(let code), .outOfMemory(let code):
                // Out of descriptors: answer one waiting client through the spare, then
                // stop polling the listener for a moment instead of spinning on a socket
                // that stays readable.
                if code == EMFILE || code == ENFILE { refuseOneThroughSpareDescriptor() }
                logger.warning("accept failed; pausing", metadata: ["error": "\(SystemCallError(call: "accept", code: code).message)"])
                stopAccepting()
                acceptPausedUntil = now + 100_000_000
                noteDeadline(acceptPausedUntil)
                return
            case .failed(let code):
                logger.error("accept failed", metadata: ["error": "\(SystemCallError(call: "accept", code: code).message)"])
                return
            }
        }
    }

    /// Gives up the spare descriptor to accept one pending connection, answers it 503 and
    /// closes it, then takes the spare back.
    private func refuseOneThroughSpareDescriptor() {
        spare.lend {
            if case .accepted(let fd, _) = Socket.accept(listenFD) { Self.refuseOverCapacity(fd) }
        }
    }

    /// Best-effort 503 for a connection over `maxConnections`, then close.
    private static func refuseOverCapacity(_ fd: Int32) {
        let body = #"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"Too many connections."}"#
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        _ = Array(response.utf8).withUnsafeBytes { Socket.send(fd, $0) }
        Socket.close(fd)
    }
}
