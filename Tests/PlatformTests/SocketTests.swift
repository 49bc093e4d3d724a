import Platform
import Testing

@Suite("Socket")
struct SocketTests {
    /// Loopback detection covers ::1 and IPv4-mapped 127/8 only.
    @Test func loopbackAddresses() {
        #expect(Socket.isLoopbackIPv6([UInt8](repeating: 0, count: 15) + [1]))
        #expect(Socket.isLoopbackIPv6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 127, 5, 6, 7]))
        #expect(!Socket.isLoopbackIPv6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 10, 0, 0, 1]))
        #expect(!Socket.isLoopbackIPv6([UInt8](repeating: 0, count: 16)))
    }

    /// Port 0 picks a free port; a second listener on it is told the address is in use; a
    /// host that is not an address is refused as such.
    @Test func listenErrors() throws {
        let first = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 8)
        defer { Socket.close(first.fd) }
        #expect(first.port > 0)
        #expect(throws: ListenError.addressInUse(host: "127.0.0.1", port: first.port)) {
            try Socket.listen(host: "127.0.0.1", port: first.port, backlog: 8)
        }
        #expect(throws: ListenError.invalidAddress(host: "not an address")) {
            try Socket.listen(host: "not an address", port: 0, backlog: 8)
        }
    }

    /// Accept on an empty backlog says so instead of blocking; a pending connection comes
    /// back non-blocking with its loopback peer address.
    @Test(arguments: PollerBackend.allCases)
    func acceptThroughAPoller(_ backend: PollerBackend) throws {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 8)
        defer { Socket.close(listener.fd) }
        guard case .noneWaiting = Socket.accept(listener.fd) else {
            Issue.record("accept on an empty backlog did not report noneWaiting")
            return
        }
        let poller = try backend.makePoller()
        defer { poller.close() }
        try poller.add(listener.fd, token: 1, events: .readable, exclusive: true)

        let client = try TCPClient(port: listener.port)
        #expect(try poller.wait(timeoutMilliseconds: 2000) == 1)
        #expect(poller.event(at: 0) == PollEvent(token: 1, events: .readable))
        guard case .accepted(let fd, let peer) = Socket.accept(listener.fd) else {
            Issue.record("no connection accepted")
            return
        }
        defer { Socket.close(fd) }
        #expect(peer.text == "127.0.0.1")
        #expect(peer.isLoopback)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(buffer.withUnsafeMutableBytes { Socket.receive(fd, into: $0) } == .wouldBlock)
        client.send("hi")
        try poller.add(fd, token: 2, events: .readable, exclusive: false)
        #expect(try poller.wait(timeoutMilliseconds: 2000) == 1)
        #expect(buffer.withUnsafeMutableBytes { Socket.receive(fd, into: $0) } == .bytes(2))
    }
}
