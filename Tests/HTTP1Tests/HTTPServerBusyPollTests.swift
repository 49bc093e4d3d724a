import Foundation
import Testing
import TestSupport
@testable import HTTP1
import Platform

/// The event loop's busy-poll (`HTTPServerConfiguration.busyPoll`), observed through the CPU
/// time of the loop thread itself: a route answered on the loop reports it.
@Suite("HTTPServer busy-poll")
struct HTTPServerBusyPollTests {
    /// The test routes plus GET /loop-cpu: the CPU nanoseconds the answering loop thread has used.
    private static func router() -> Router {
        let router = makeTestRouter()
        router.add(method: "GET", path: "/loop-cpu") { _ in
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return .text(200, "\(time.tv_sec * 1_000_000_000 + time.tv_nsec)")
        }
        return router
    }

    private static func loopCPU(_ client: RawHTTPClient) throws -> Int {
        client.send("GET /loop-cpu HTTP/1.1\r\nHost: x\r\n\r\n")
        return try #require(Int(try client.readResponse().text))
    }

    /// After answering, the loop keeps polling (using CPU) for its busy-poll time; while a
    /// request's answer is computed on another thread it sleeps instead, leaving the core to
    /// that thread; with a busy-poll of zero it sleeps at once.
    @Test(arguments: PollerBackend.allCases)
    func loopPollsAfterAnsweringButNotWhileAnAnswerIsAwaited(_ poller: PollerBackend) throws {
        try withTestServer(poller: poller, configure: {
            $0.eventLoopCount = 1
            $0.busyPoll = .milliseconds(400)
        }, router: Self.router()) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            // Answered on the loop: it polls on for 400 ms, of which this waits 150.
            let start = try Self.loopCPU(client)
            usleep(150_000)
            let polled = try Self.loopCPU(client) - start
            #expect(polled >= 1_000_000, "the loop used \(polled) ns of CPU in 150 ms after answering")
            // Waits 300 ms for an answer from another thread: the loop sleeps through it.
            let before = try Self.loopCPU(client)
            client.send("GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "slow 300")
            let awaiting = try Self.loopCPU(client) - before
            #expect(awaiting < 60_000_000, "the loop used \(awaiting) ns of CPU while an answer was awaited for 300 ms")
        }
        try withTestServer(poller: poller, configure: {
            $0.eventLoopCount = 1
            $0.busyPoll = .zero
        }, router: Self.router()) { _, port, _ in
            let client = try RawHTTPClient(port: port)
            let start = try Self.loopCPU(client)
            usleep(300_000)
            let idle = try Self.loopCPU(client) - start
            #expect(idle < 60_000_000, "the loop used \(idle) ns of CPU in 300 ms idle without busy-poll")
        }
    }
}
