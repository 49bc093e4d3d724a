import Dispatch
import Platform
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connected pair of non-blocking Unix stream sockets, closed at the end of the test.
final class SocketPair {
    var local: Int32
    var peer: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw SystemCallError.last("socketpair") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        local = fds[0]
        peer = fds[1]
    }

    func sendFromPeer(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Socket.send(peer, $0) }
    }

    func closePeer() {
        if peer >= 0 { Socket.close(peer) }
        peer = -1
    }

    deinit {
        if local >= 0 { Socket.close(local) }
        if peer >= 0 { Socket.close(peer) }
    }
}

/// The same readiness contract from both backends: what the event loops rely on.
@Suite("Poller")
struct PollerTests {
    static let backends = PollerBackend.allCases

    /// All events of one wait, by token.
    static func events(_ poller: any Poller, timeout: Int32 = 0) throws -> [UInt64: PollEvents] {
        let count = try poller.wait(timeoutMilliseconds: timeout)
        var seen: [UInt64: PollEvents] = [:]
        for index in 0..<count {
            let event = poller.event(at: index)
            seen[event.token, default: []].formUnion(event.events)
        }
        return seen
    }

    /// Nothing to read: no event. Data from the peer: one readable event under the token,
    /// repeated (level-triggered) until it is read.
    @Test(arguments: backends)
    func readable(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let pair = try SocketPair()
        try poller.add(pair.local, token: 7, events: .readable, exclusive: false)
        #expect(try Self.events(poller).isEmpty)
        pair.sendFromPeer("ping")
        #expect(try Self.events(poller, timeout: 1000) == [7: .readable])
        #expect(try Self.events(poller) == [7: .readable])
        var buffer = [UInt8](repeating: 0, count: 16)
        let read = buffer.withUnsafeMutableBytes { Socket.receive(pair.local, into: $0) }
        #expect(read == .bytes(4))
        #expect(try Self.events(poller).isEmpty)
    }

    /// An empty send buffer is writable at once; interest changed to nothing reports nothing.
    @Test(arguments: backends)
    func writableAndModify(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let pair = try SocketPair()
        try poller.add(pair.local, token: 3, events: [.readable, .writable], exclusive: false)
        #expect(try Self.events(poller) == [3: .writable])
        try poller.modify(pair.local, token: 4, events: [])
        pair.sendFromPeer("x")
        #expect(try Self.events(poller).isEmpty)
        try poller.modify(pair.local, token: 5, events: .readable)
        #expect(try Self.events(poller) == [5: .readable])
    }

    /// A peer that closes gives readable (end of stream) and hang-up, even to a descriptor
    /// registered for nothing: how a loop notices a client gone while it is busy.
    @Test(arguments: backends)
    func hangUp(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let pair = try SocketPair()
        try poller.add(pair.local, token: 9, events: .readable, exclusive: false)
        pair.closePeer()
        let events = try Self.events(poller, timeout: 1000)
        #expect(events[9]?.isSuperset(of: [.readable, .hangUp]) == true)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { Socket.receive(pair.local, into: $0) } == .endOfStream)

        try poller.modify(pair.local, token: 9, events: [])
        #expect(try Self.events(poller)[9]?.contains(.hangUp) == true)
    }

    /// With nothing ready a wait returns no events after (at least) its timeout.
    @Test(arguments: backends)
    func timeout(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let pair = try SocketPair()
        try poller.add(pair.local, token: 1, events: .readable, exclusive: false)
        let started = MonotonicClock.nanoseconds()
        #expect(try poller.wait(timeoutMilliseconds: 60) == 0)
        #expect(MonotonicClock.nanoseconds() - started >= 50_000_000)
    }

    /// A removed descriptor reports nothing, and removing it twice is an error; a descriptor
    /// forgotten before close can be closed without the poller reporting it again.
    @Test(arguments: backends)
    func removeAndForget(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let first = try SocketPair()
        let second = try SocketPair()
        try poller.add(first.local, token: 1, events: .readable, exclusive: false)
        try poller.add(second.local, token: 2, events: .readable, exclusive: false)
        first.sendFromPeer("a")
        second.sendFromPeer("b")
        #expect(try Self.events(poller) == [1: .readable, 2: .readable])
        try poller.remove(first.local)
        #expect(try Self.events(poller) == [2: .readable])
        #expect(throws: SystemCallError.self) { try poller.remove(first.local) }
        poller.removeBeforeClose(second.local)
        Socket.close(second.local)
        second.local = -1
        #expect(try Self.events(poller).isEmpty)
    }

    /// More ready descriptors than one wait reports: the next waits report the rest, so none
    /// starves.
    @Test(arguments: backends)
    func moreReadyThanCapacity(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller(capacity: 2)
        defer { poller.close() }
        let pairs = try (0..<3).map { _ in try SocketPair() }
        for (index, pair) in pairs.enumerated() {
            try poller.add(pair.local, token: UInt64(index), events: .readable, exclusive: false)
            pair.sendFromPeer("x")
        }
        var seen = Set<UInt64>()
        for _ in 0..<3 {
            let events = try Self.events(poller)
            #expect(events.count <= 2)
            seen.formUnion(events.keys)
        }
        #expect(seen == [0, 1, 2])
    }

    /// A wait blocked with a long timeout returns as soon as another thread wakes it.
    @Test(arguments: backends)
    func wakerInterruptsAWait(_ backend: PollerBackend) throws {
        let poller = try backend.makePoller()
        defer { poller.close() }
        let waker = try Waker()
        defer { waker.close() }
        try poller.add(waker.fd, token: 42, events: .readable, exclusive: false)
        let started = MonotonicClock.nanoseconds()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { waker.wake() }
        #expect(try Self.events(poller, timeout: 10_000) == [42: .readable])
        #expect(MonotonicClock.nanoseconds() - started < 5_000_000_000)
        waker.reset()
        #expect(try Self.events(poller).isEmpty)
    }
}

/// A blocking IPv4 client connected to a loopback port, closed when released.
final class TCPClient {
    let fd: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw SystemCallError.last("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = SystemCallError.last("connect")
            Socket.close(fd)
            throw error
        }
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Socket.send(fd, $0) }
    }

    deinit { Socket.close(fd) }
}
