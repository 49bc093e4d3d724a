import Foundation
import Testing
import TestSupport
@testable import HTTP1
import Platform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("HTTPServer lifecycle, load and logging")
struct HTTPServerLifecycleTests {
    /// A thousand idle keep-alive connections stay open and a new client is still served.
    @Test(arguments: PollerBackend.allCases)
    func thousandIdleKeepAliveConnections(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, port, _ in
            var idle: [RawHTTPClient] = []
            for index in 0..<1000 {
                let client = try RawHTTPClient(port: port)
                client.send("GET /items/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                idle.append(client)
            }
            let fresh = try RawHTTPClient(port: port)
            fresh.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try fresh.readResponse().status == 200)
            #expect(server.connectionCount == 1001)
        }
    }

    /// A response far larger than the socket buffer goes out through partial writes and
    /// EPOLLOUT, arrives whole, and the connection is reused after it.
    @Test(arguments: PollerBackend.allCases)
    func largeResponseThroughPartialWrites(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET /big/8 HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.body.count == 8 << 20)
            #expect(response.body.allSatisfy { $0 == 0x61 })
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "ok\n")
        }
    }

    /// A client that stops reading a large response is closed at the write timeout.
    @Test(arguments: PollerBackend.allCases)
    func clientThatStopsReadingIsClosed(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.timeouts.write = .milliseconds(200) }) { server, port, _ in
            let client = try RawHTTPClient(port: port)
            var size: Int32 = 4096
            setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            client.send("GET /big/64 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually(within: 5) { server.connectionCount == 0 })
        }
    }

    /// The signal source calls back first, then starts the graceful shutdown. SIGUSR2 stands
    /// in for SIGTERM so the test process keeps its own SIGTERM behaviour. Serialized: the
    /// signal goes to the whole process, so two cases at once would see each other's.
    @Test(.serialized, arguments: PollerBackend.allCases)
    func signalStartsGracefulShutdown(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, _, _ in
            let seen = RecordLog()
            server.installSignalHandlers(signals: [SIGUSR2]) { number in
                seen.append(RequestRecord(method: server.isShuttingDown ? "late" : "first", route: nil, path: "\(number)",
                                          status: 0, responseBytes: 0, durationSeconds: 0))
            }
            kill(getpid(), SIGUSR2)
            #expect(eventually { server.isShuttingDown })
            server.waitUntilStopped()
            #expect(seen.records.map(\.method) == ["first"])
            #expect(seen.records.map(\.path) == ["\(SIGUSR2)"])
        }
    }

    /// Each request gives one access-log line (method, path, status, bytes, duration) and one
    /// record for metrics.
    @Test(arguments: PollerBackend.allCases)
    func accessLogAndRecords(_ poller: PollerBackend) throws {
        let handler = CapturingLogHandler()
        try withTestServer(poller: poller, logHandler: handler) { _, port, log in
            let client = try RawHTTPClient(port: port)
            client.send("GET /items/42?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readResponse()
            #expect(eventually { log.records.count == 1 })
            let record = try #require(log.records.first)
            #expect(record.method == "GET")
            #expect(record.route == "/items/{id}")
            #expect(record.path == "/items/42")
            #expect(record.status == 200)
            #expect(record.responseBytes == "item 42 from loopback".utf8.count)
            #expect(record.durationSeconds >= 0 && record.durationSeconds < 5)
            // Written by the access log's own thread, so it may come a moment after the response.
            #expect(eventually { handler.messages.contains { $0.metadata["path"] != nil } })
            let lines = handler.messages.filter { $0.metadata["path"] != nil }
            #expect(lines.count == 1)
            #expect(lines.first?.message.hasPrefix("GET /items/42 200 21B ") == true)
            #expect(lines.first?.level == .info)
        }
    }

    /// Control characters decoded from the path are escaped again in the access log.
    @Test func accessLogEscapesControlCharacters() {
        #expect(RequestRecord.loggable("/a\nGET /forged 200") == "/a%0AGET /forged 200")
        #expect(RequestRecord.loggable("/plain/é") == "/plain/é")
    }

    /// `shutdown(completion:)` on a server that never started completes at once.
    @Test func shutdownBeforeStart() {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: Router(), logger: .init(label: "t"))
        let done = RecordLog()
        server.shutdown { done.append(RequestRecord(method: "", route: nil, path: "", status: 0, responseBytes: 0, durationSeconds: 0)) }
        #expect(done.records.count == 1)
        server.waitUntilStopped()
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }
}
