import Foundation
import Testing
import TestSupport
@testable import HTTP1
import Platform

/// A head the server must refuse on sight: the body is declared but never sent, so an answer
/// proves the server decided without waiting for (or buffering) the body.
struct RefusedHead: CustomStringConvertible, Sendable {
    var name: String
    var head: String
    var status: Int

    var description: String { name }
}

/// Bodies the server must refuse before reading them, and the case it must not.
let refusedHeads: [RefusedHead] = [
    RefusedHead(name: "16 MiB body on a route that takes none",
                head: "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 16777216\r\n\r\n", status: 413),
    RefusedHead(name: "chunked body on a route that takes none",
                head: "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", status: 413),
    RefusedHead(name: "declared length over the route's limit",
                head: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", status: 413),
    RefusedHead(name: "body to a path with no route",
                head: "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", status: 404),
    RefusedHead(name: "body with a method the route does not take",
                head: "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", status: 405),
    RefusedHead(name: "unauthorized body, 100-continue asked",
                head: "POST /admin HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n", status: 401),
    RefusedHead(name: "unauthorized chunked body",
                head: "POST /admin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", status: 401),
]

/// Issue 11 over real sockets: bodies decided on the head, the memory budget, stalled writers.
@Suite("HTTPServer under hostile clients")
struct HTTPServerHostileTests {
    /// Each refused head is answered at once with its problem (never `100 Continue`), the
    /// connection closes, and the server goes on serving.
    @Test(arguments: refusedHeads, PollerBackend.allCases)
    func bodyRefusedOnItsHead(_ testCase: RefusedHead, _ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { server, port, log in
            let client = try RawHTTPClient(port: port, readTimeout: 3)
            client.send(testCase.head)
            let response = try client.readResponse()
            #expect(response.status == testCase.status)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
            #expect(log.records.map(\.status) == [testCase.status])
            let other = try RawHTTPClient(port: port)
            #expect(try other.get("/healthz").status == 200)
            #expect(eventually { server.connectionCount == 1 })
        }
    }

    /// An authorized request gets `100 Continue` only after its admission check passed, then
    /// its body is read and answered.
    @Test(arguments: PollerBackend.allCases)
    func admittedRequestGetsContinue(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("POST /admin HTTP/1.1\r\nHost: x\r\nAuthorization: yes\r\nExpect: 100-continue\r\n"
                        + "Content-Length: 7\r\n\r\n")
            #expect(try client.readResponse().status == 100)
            client.send("payload")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "admitted 7")
        }
    }

    /// Admission also guards requests without a body (DELETE-style admin operations).
    @Test(arguments: PollerBackend.allCases)
    func admissionWithoutBody(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            #expect(try client.request(method: "DELETE", path: "/admin").status == 401)
            #expect(try client.request(method: "DELETE", path: "/admin", headers: [("Authorization", "yes")]).status == 200)
        }
    }

    /// A chunked body growing past the route's limit is cut off with 413.
    @Test(arguments: PollerBackend.allCases)
    func chunkedBodyOverTheRouteLimit(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = [UInt8](repeating: 0x61, count: 300 << 10)
            for _ in 0..<4 {
                client.send(Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8))
            }
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(client.isClosedByServer())
        }
    }

    /// A body larger than the whole memory budget is 413 on its head; one that does not fit
    /// while another body holds the budget is 503 with `Retry-After`, and fits once the first
    /// is answered. Every byte goes back to the budget.
    @Test(arguments: PollerBackend.allCases)
    func memoryBudgetRefusesBeforeReading(_ poller: PollerBackend) throws {
        let budget = MemoryBudget(capacity: 1000)
        try withTestServer(poller: poller, configure: { $0.memoryBudget = budget }) { _, port, _ in
            let tooLarge = try RawHTTPClient(port: port)
            tooLarge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
            let refused = try tooLarge.readResponse()
            #expect(refused.status == 413)
            #expect(refused.text.contains("memory budget"))

            let holder = try RawHTTPClient(port: port)
            holder.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\nhalf")
            #expect(eventually { budget.usedBytes == 600 })
            let crowded = try RawHTTPClient(port: port)
            crowded.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n")
            let busy = try crowded.readResponse()
            #expect(busy.status == 503)
            #expect(busy.header("Retry-After") == "1")

            holder.send([UInt8](repeating: 0x62, count: 596))
            #expect(try holder.readResponse().status == 200)
            #expect(eventually { budget.usedBytes == 0 })
            let retry = try RawHTTPClient(port: port)
            #expect(try retry.request(method: "POST", path: "/echo", body: [UInt8](repeating: 1, count: 600)).status == 200)
            #expect(eventually { budget.usedBytes == 0 })
        }
    }

    /// A chunked body grows its reservation as it arrives: one that fits the budget is served
    /// and gives everything back; one that outgrows the whole budget is 413.
    @Test(arguments: PollerBackend.allCases)
    func chunkedBodiesGrowTheirReservation(_ poller: PollerBackend) throws {
        let budget = MemoryBudget(capacity: 1 << 20)
        try withTestServer(poller: poller, configure: { $0.memoryBudget = budget }) { _, port, _ in
            let chunk = [UInt8](repeating: 0x61, count: 100 << 10)
            let framedChunk = Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
            let fits = try RawHTTPClient(port: port)
            fits.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<6 { fits.send(framedChunk) }
            fits.send("0\r\n\r\n")
            let served = try fits.readResponse()
            #expect(served.status == 200)
            #expect(served.body.count == 600 << 10)
            #expect(eventually { budget.usedBytes == 0 })

            let outgrows = try RawHTTPClient(port: port)
            outgrows.send("POST /big-upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<12 { outgrows.send(framedChunk) }
            #expect(try outgrows.readResponse().status == 413)
            #expect(eventually { budget.usedBytes == 0 })
        }
    }

    /// A client that pipelines requests for large answers and never reads is closed at the
    /// write timeout, even while a handler works on one of its requests, and its output goes
    /// with it (issue 11). Its receive buffer is tiny, so the server's writes stall at once.
    @Test(arguments: PollerBackend.allCases)
    func pipeliningClientThatNeverReadsIsClosed(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: { $0.timeouts.write = .milliseconds(300) }) { server, port, _ in
            let client = try RawHTTPClient(port: port, receiveBufferBytes: 1024)
            var requests = ""
            for _ in 0..<8 {
                requests += "GET /big/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/5 HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            client.send(requests)
            #expect(eventually(within: 5) { server.connectionCount == 0 })
            let other = try RawHTTPClient(port: port)
            #expect(try other.get("/healthz").status == 200)
        }
    }
}
