import Foundation
import Testing
import TestSupport
@testable import HTTP1
import Platform

@Suite("HTTPServer over real sockets")
struct HTTPServerSocketTests {
    /// Several requests share one keep-alive connection, and the server holds exactly one.
    @Test(arguments: PollerBackend.allCases)
    func keepAliveReusesTheConnection(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, port, log in
            let client = try RawHTTPClient(port: port)
            for index in 0..<3 {
                client.send("GET /items/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "item \(index) from loopback")
                #expect(response.header("Connection") == nil)
                #expect(response.header("Server") == "mnist-cnn")
                #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            }
            #expect(server.connectionCount == 1)
            #expect(log.records.map(\.route) == ["/items/{id}", "/items/{id}", "/items/{id}"])
        }
    }

    /// Pipelined requests are answered in order even when the middle one is asynchronous and
    /// slower than the ones behind it.
    @Test(arguments: PollerBackend.allCases)
    func pipelinedRequestsAreAnsweredInOrder(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET /items/a HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/50 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nlastGET /items/b HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "item a from loopback")
            #expect(try client.readResponse().text == "slow 50")
            #expect(try client.readResponse().text == "last")
            #expect(try client.readResponse().text == "item b from loopback")
        }
    }

    /// A chunked upload sent in pieces, with pauses between them, arrives reassembled.
    @Test(arguments: PollerBackend.allCases)
    func chunkedUpload(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            client.send("6\r\nhello \r\n")
            usleep(20_000)
            client.send("5;ext=1\r\nworld\r\n")
            usleep(20_000)
            client.send("0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello world")
        }
    }

    /// With `Expect: 100-continue` the server answers 100 before the body is sent.
    @Test(arguments: PollerBackend.allCases)
    func expectContinue(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            client.send("payload")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "payload")
        }
    }

    /// A declared length over the limit gets 413 instead of 100, then the connection closes.
    @Test(arguments: PollerBackend.allCases)
    func expectContinueWithTooLargeBody(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.limits.maxBodyBytes = 100 }) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    /// HEAD answers GET's headers without a body; the next request on the connection parses,
    /// which it would not if body bytes had been sent.
    @Test(arguments: PollerBackend.allCases)
    func headHasHeadersButNoBody(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, log in
            let client = try RawHTTPClient(port: port)
            client.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try client.readResponse(forHead: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "3")
            #expect(head.header("Content-Type") == "text/plain; charset=utf-8")
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "ok\n")
            #expect(log.records.first?.responseBytes == 0)
        }
    }

    /// Unknown paths give a 404 problem; a known path with the wrong method a 405 with
    /// `Allow`; OPTIONS lists the methods.
    @Test(arguments: PollerBackend.allCases)
    func notFoundMethodNotAllowedAndOptions(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, log in
            let client = try RawHTTPClient(port: port)
            client.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            let notFound = try client.readResponse()
            #expect(notFound.status == 404)
            #expect(notFound.header("Content-Type") == "application/problem+json")
            let problem = try JSONSerialization.jsonObject(with: Data(notFound.body)) as? [String: Any]
            #expect(problem?["status"] as? Int == 404)
            #expect(problem?["title"] as? String == "Not Found")
            #expect(problem?["type"] as? String == "about:blank")
            #expect(problem?["detail"] is String)

            client.send("DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let notAllowed = try client.readResponse()
            #expect(notAllowed.status == 405)
            #expect(notAllowed.header("Allow") == "GET, HEAD, OPTIONS")

            client.send("OPTIONS /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let options = try client.readResponse()
            #expect(options.status == 204)
            #expect(options.header("Allow") == "OPTIONS, POST")
            #expect(log.records.map(\.route) == [nil, "/healthz", "/echo"])
        }
    }

    /// A malformed request gets its problem status and the connection is closed.
    @Test(arguments: PollerBackend.allCases)
    func malformedRequestGetsProblemAndClose(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, log in
            let client = try RawHTTPClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
            #expect(log.records.map(\.status) == [400])
        }
    }

    /// `Connection: close` from the client is answered with `Connection: close` and a close.
    @Test(arguments: PollerBackend.allCases)
    func clientAsksToClose(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    /// HTTP/1.0 closes by default and stays open with `Connection: keep-alive`.
    @Test(arguments: PollerBackend.allCases)
    func http10ConnectionHandling(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let keepAlive = try RawHTTPClient(port: port)
            keepAlive.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keepAlive.readResponse().header("Connection") == "keep-alive")
            keepAlive.send("GET /healthz HTTP/1.0\r\n\r\n")
            #expect(try keepAlive.readResponse().header("Connection") == "close")
            #expect(keepAlive.isClosedByServer())
        }
    }

    /// A slowloris client dribbling its head is dropped at the header timeout with 408, while
    /// another client is served normally the whole time.
    @Test(arguments: PollerBackend.allCases)
    func slowlorisIsDroppedWhileOthersAreServed(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.timeouts.headerRead = .milliseconds(300) }) { _, port, _ in
            let slow = try RawHTTPClient(port: port)
            let fast = try RawHTTPClient(port: port)
            slow.send("GET /healthz HTTP/1.1\r\n")
            var dropped = false
            for _ in 0..<40 {
                slow.send("X: y\r\n")
                fast.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try fast.readResponse().status == 200)
                usleep(25_000)
                if let response = try? { () throws -> RawHTTPResponse? in
                    var probe = pollfd(fd: slow.fd, events: Int16(POLLIN), revents: 0)
                    return poll(&probe, 1, 0) > 0 ? try slow.readResponse() : nil
                }() {
                    #expect(response.status == 408)
                    dropped = true
                    break
                }
            }
            #expect(dropped)
            #expect(slow.isClosedByServer())
        }
    }

    /// A client that disconnects halfway through its body is dropped without reaching the
    /// handler, and the server keeps serving.
    @Test(arguments: PollerBackend.allCases)
    func clientDisconnectingMidBody(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, port, log in
            do {
                let quitter = try RawHTTPClient(port: port)
                quitter.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a little")
                usleep(20_000)
            }
            let resetter = try RawHTTPClient(port: port)
            resetter.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
            usleep(20_000)
            resetter.reset()
            #expect(eventually { server.connectionCount == 0 })
            let client = try RawHTTPClient(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(log.records.map(\.status) == [200])
        }
    }

    /// 200 connections open at once each get their answer and all stay open (keep-alive).
    @Test(arguments: PollerBackend.allCases)
    func manyConcurrentConnections(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, port, _ in
            let clients = try (0..<200).map { _ in try RawHTTPClient(port: port) }
            for (index, client) in clients.enumerated() {
                client.send("GET /items/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            for (index, client) in clients.enumerated() {
                #expect(try client.readResponse().text == "item \(index) from loopback")
            }
            #expect(server.connectionCount == 200)
        }
    }

    /// Past `maxConnections`, a new connection gets a 503 problem and is closed.
    @Test(arguments: PollerBackend.allCases)
    func connectionsOverTheLimitAreRefused(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.maxConnections = 2 }) { server, port, _ in
            let first = try RawHTTPClient(port: port)
            let second = try RawHTTPClient(port: port)
            #expect(eventually { server.connectionCount == 2 })
            let third = try RawHTTPClient(port: port)
            #expect(try third.readResponse().status == 503)
            first.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try first.readResponse().status == 200)
            _ = second
        }
    }

    /// An idle keep-alive connection is closed at the idle timeout.
    @Test(arguments: PollerBackend.allCases)
    func idleConnectionIsClosed(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.timeouts.idle = .milliseconds(150) }) { server, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(client.isClosedByServer())
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    /// A handler that drops its responder without answering produces a 500, not a hang.
    @Test(arguments: PollerBackend.allCases)
    func forgottenResponderAnswers500(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET /forgetful HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 500)
        }
    }

    /// A client that half-closes after its request still gets the answer, then the close.
    @Test(arguments: ["/slow/30", "/healthz"], PollerBackend.allCases)
    func halfClosedClientGetsItsAnswer(path: String, _ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            client.shutdownWrite()
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(client.isClosedByServer())
        }
    }

    /// On "::" the server takes IPv4 clients too, and sees them as loopback.
    @Test(arguments: PollerBackend.allCases)
    func dualStackListener(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, host: "::") { _, port, _ in
            for host in ["127.0.0.1", "::1"] {
                let client = try RawHTTPClient(port: port, host: host)
                client.send("GET /items/v HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().text == "item v from loopback")
            }
        }
    }

    /// A second server on a taken port fails with `addressInUse`.
    @Test(arguments: PollerBackend.allCases)
    func portInUse(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let second = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port),
                                    router: Router(), logger: .init(label: "second"))
            #expect(throws: HTTPServerError.addressInUse(host: "127.0.0.1", port: port)) { try second.start() }
        }
    }

    /// Graceful shutdown: idle connections close at once, new ones are refused, and the
    /// in-flight slow request still completes (with `Connection: close`) before the server
    /// reports stopped.
    @Test(arguments: PollerBackend.allCases)
    func gracefulShutdownFinishesInFlightRequests(_ poller: PollerBackend) throws {
        let started = StartedCounter()
        try withTestServer(poller: poller, router: makeTestRouter(slowStarted: started)) { server, port, _ in
            let idle = try RawHTTPClient(port: port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try idle.readResponse().status == 200)
            let busy = try RawHTTPClient(port: port)
            busy.send("GET /slow/400 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { started.count == 1 })
            let stopped = DispatchSemaphore(value: 0)
            server.shutdown { stopped.signal() }
            #expect(server.isShuttingDown)
            #expect(idle.isClosedByServer())
            #expect(eventually(within: 1) { (try? RawHTTPClient(port: port)) == nil })
            let response = try busy.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "slow 400")
            #expect(response.header("Connection") == "close")
            #expect(stopped.wait(timeout: .now() + 3) == .success)
        }
    }

    /// An in-flight request that outlives the shutdown deadline is cut off at the deadline.
    @Test(arguments: PollerBackend.allCases)
    func shutdownDeadlineClosesStragglers(_ poller: PollerBackend) throws {
        let started = StartedCounter()
        try withTestServer(poller: poller, configure: { $0.shutdownDeadline = .milliseconds(100) },
                           router: makeTestRouter(slowStarted: started)) { server, port, _ in
            let busy = try RawHTTPClient(port: port)
            busy.send("GET /slow/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { started.count == 1 })
            server.beginShutdown()
            #expect(busy.isClosedByServer())
            server.waitUntilStopped()
        }
    }
}
