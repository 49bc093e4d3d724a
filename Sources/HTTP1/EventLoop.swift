import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One thread running `epoll_wait` over its share of the connections.
///
/// Everything a connection does happens on its loop's thread, so connections need no locks.
/// Other threads reach a loop only through `execute(_:)`, which queues a closure and wakes the
/// loop through an eventfd. Deadlines are checked by a sweep that runs when the earliest known
/// deadline passes, so a thousand idle connections cost one dictionary entry each and no
/// timer syscalls.
final class EventLoop: @unchecked Sendable {
    private static let wakeToken = UInt64.max
    private static let listenerToken = UInt64.max - 1

    /// Strong on purpose: a running server stays alive even if its owner lets go of it; the
    /// cycle is broken when the loops stop.
    let server: HTTPServer
    let logger: Logger
    private let epollFD: Int32
    private let wakeFD: Int32
    private var listenFD: Int32 = -1
    private var isListening = false
    private var acceptPausedUntil: UInt64?

    private var connections: [Int32: HTTPConnection] = [:]
    private let taskLock = Lock()
    private var tasks: [() -> Void] = []
    private var wakePending = false
    /// Set when the thread has ended and its descriptors are closed: late tasks (a responder
    /// answering after the shutdown deadline) are dropped instead of writing to a closed,
    /// possibly reused, eventfd number.
    private var isStopped = false
    /// The loop's thread, so `execute` called from it skips the eventfd write (guarded by
    /// `taskLock`).
    private var threadID: pthread_t?

    /// The monotonic time read after the last `epoll_wait`.
    private(set) var now: UInt64
    /// When the next deadline sweep is due.
    private var nextSweep = UInt64.max
    private(set) var isDraining = false
    private var drainDeadline = UInt64.max

    /// A descriptor held in reserve: at the descriptor limit it is given up for a moment so the
    /// pending connection can be accepted, told 503 and closed, instead of waiting unanswered
    /// in the backlog (or making the listener spin).
    private var spareFD: Int32

    /// Scratch memory every read on this loop goes through.
    let readBuffer: UnsafeMutableRawBufferPointer
    var date = HTTPDate()

    init(server: HTTPServer, logger: Logger) throws {
        self.server = server
        self.logger = logger
        epollFD = Epoll.create()
        guard epollFD >= 0 else {
            throw HTTPServerError.socketFailure(call: "epoll_create1", message: String(cString: strerror(errno)))
        }
        wakeFD = Epoll.makeEventFD()
        guard wakeFD >= 0 else {
            close(epollFD)
            throw HTTPServerError.socketFailure(call: "eventfd", message: String(cString: strerror(errno)))
        }
        spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        now = monotonicNanoseconds()
        register(wakeFD, token: Self.wakeToken, events: Epoll.input)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: - Cross-thread entry

    /// Runs `task` on the loop thread; callable from any thread.
    func execute(_ task: @escaping () -> Void) {
        taskLock.lock()
        let onLoop = threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        guard !isStopped else {
            taskLock.unlock()
            return
        }
        tasks.append(task)
        let mustWake = !onLoop && !wakePending
        if mustWake { wakePending = true }
        taskLock.unlock()
        if mustWake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Starts accepting on `fd` (shared by every loop; EPOLLEXCLUSIVE wakes one loop per
    /// connection instead of all of them).
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

    private func register(_ fd: Int32, token: UInt64, events: UInt32) {
        _ = Epoll.add(epollFD, fd, events: events, token: token)
    }

    /// Changes the events a connection waits for.
    func modify(_ fd: Int32, events: UInt32) {
        _ = Epoll.modify(epollFD, fd, events: events, token: UInt64(UInt32(bitPattern: fd)))
    }

    /// Forgets a connection that is closing.
    func remove(_ connection: HTTPConnection) {
        connections[connection.fd] = nil
    }

    /// Makes sure the sweep runs no later than `deadline`.
    @inline(__always)
    func noteDeadline(_ deadline: UInt64?) {
        if let deadline, deadline < nextSweep { nextSweep = deadline }
    }

    private func resumeAccepting() {
        guard listenFD >= 0, !isListening, !isDraining else { return }
        register(listenFD, token: Self.listenerToken, events: Epoll.input | Epoll.exclusive)
        isListening = true
        acceptPausedUntil = nil
    }

    private func stopAccepting() {
        guard isListening else { return }
        _ = Epoll.delete(epollFD, listenFD)
        isListening = false
    }

    // MARK: - The loop

    /// The thread body; returns once drained.
    func run() {
        taskLock.lock()
        threadID = pthread_self()
        taskLock.unlock()
        let capacity = 256
        let events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventStride, alignment: 8)
        defer { events.deallocate() }
        while true {
            let waitMilliseconds: Int32
            if nextSweep == .max {
                waitMilliseconds = 1000
            } else if nextSweep <= now {
                waitMilliseconds = 0
            } else {
                waitMilliseconds = Int32(min(1000, (nextSweep - now + 999_999) / 1_000_000))
            }
            let count = Epoll.wait(epollFD, into: events, capacity: Int32(capacity), timeoutMilliseconds: waitMilliseconds)
            now = monotonicNanoseconds()
            if count < 0 && errno != EINTR {
                logger.critical("epoll_wait failed", metadata: ["error": "\(String(cString: strerror(errno)))"])
                break
            }
            for index in 0..<max(0, Int(count)) {
                let event = Epoll.event(in: events, at: index)
                switch event.token {
                case Self.wakeToken:
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    taskLock.lock()
                    wakePending = false
                    taskLock.unlock()
                case Self.listenerToken:
                    acceptConnections()
                default:
                    let fd = Int32(truncatingIfNeeded: event.token)
                    connections[fd]?.handle(events: event.events)
                }
            }
            runTasks()
            if now >= nextSweep { sweep() }
            if isDraining && connections.isEmpty { break }
        }
        for connection in Array(connections.values) { connection.close() }
        taskLock.lock()
        isStopped = true
        tasks.removeAll()
        taskLock.unlock()
        close(wakeFD)
        close(epollFD)
        if spareFD >= 0 { close(spareFD) }
        server.loopStopped()
    }

    private func runTasks() {
        while true {
            var pending: [() -> Void] = []
            taskLock.lock()
            swap(&pending, &tasks)
            taskLock.unlock()
            if pending.isEmpty { return }
            for task in pending { task() }
        }
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
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutableBytes(of: &address) {
                Epoll.accept(listenFD, address: $0.baseAddress!, length: &length)
            }
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: answer one waiting client through the spare, then
                    // stop polling the listener for a moment instead of spinning on a socket
                    // that stays readable.
                    let error = errno
                    if error == EMFILE || error == ENFILE { refuseOneThroughSpareDescriptor() }
                    logger.warning("accept failed; pausing", metadata: ["error": "\(String(cString: strerror(error)))"])
                    stopAccepting()
                    acceptPausedUntil = now + 100_000_000
                    noteDeadline(acceptPausedUntil)
                    return
                default:
                    logger.error("accept failed", metadata: ["error": "\(String(cString: strerror(errno)))"])
                    return
                }
            }
            guard server.reserveConnection() else {
                Self.refuseOverCapacity(fd)
                continue
            }
            let peer = Socket.peerAddress(address)
            Socket.setNoDelay(fd)
            let connection = HTTPConnection(fd: fd, loop: self, remoteAddress: peer.text, isLoopback: peer.isLoopback)
            connections[fd] = connection
            register(fd, token: UInt64(UInt32(bitPattern: fd)), events: Epoll.input)
            noteDeadline(connection.deadline)
        }
    }

    /// Gives up the spare descriptor to accept one pending connection, answers it 503 and
    /// closes it, then takes the spare back.
    private func refuseOneThroughSpareDescriptor() {
        guard spareFD >= 0 else { return }
        close(spareFD)
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutableBytes(of: &address) { Epoll.accept(listenFD, address: $0.baseAddress!, length: &length) }
        if fd >= 0 { Self.refuseOverCapacity(fd) }
        spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    /// Best-effort 503 for a connection over `maxConnections`, then close.
    private static func refuseOverCapacity(_ fd: Int32) {
        let body = #"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"Too many connections."}"#
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        _ = response.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        close(fd)
    }
}
