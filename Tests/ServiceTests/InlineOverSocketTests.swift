import Foundation
import Service
import Synchronization
import Testing
import TestSupport

/// Which thread runs a lone `/predict` image, over real connections (issue 15): its event
/// loop's, when that loop has nothing else ready, whatever other connections sit idle; the
/// inference thread's otherwise. The answer is the same bits on either.
struct InlineOverSocketTests {
    /// The names of the threads that ran the passes, in order, seen through `onBatch` (an
    /// inline pass runs on an `http1-loop-N` thread, a queued one on `inference`).
    final class PassThreads: Sendable {
        private let names = Mutex<[String]>([])
        var value: [String] { names.withLock { $0 } }

        /// The names once `count` passes have reported (a queued pass reports after its
        /// answers are handed to the loop, so the client can read them first), or after 10 s.
        func waitFor(_ count: Int) -> [String] {
            let deadline = Date().addingTimeInterval(10)
            while value.count < count && Date() < deadline { usleep(1000) }
            return value
        }

        /// Chains onto the app's own hook (metrics) before the batcher starts.
        func attach(to app: ServiceApp) {
            let previous = app.batcher.onBatch
            app.batcher.onBatch = { [self] record in
                previous?(record)
                let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
                names.withLock { $0.append(name.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
    }

    /// 784 raw bytes, the same for every request, so every answer must be the same bits.
    static let image: [UInt8] = (0..<784).map { UInt8(($0 * 37) % 256) }

    static func service(_ threads: PassThreads) throws -> ServiceHarness {
        try ServiceHarness(beforeStart: { threads.attach(to: $0) })
    }

    /// An idle keep-alive connection (a Prometheus scraper between scrapes) does not stop a
    /// lone client's image from running on the loop thread: it has nothing ready.
    @Test func aLoneClientBesideAnIdleConnectionIsAnsweredInline() throws {
        let threads = PassThreads()
        let service = try Self.service(threads)
        defer { service.stop() }
        let scraper = try service.connect()
        #expect(try scraper.get("/metrics").status == 200)
        let client = try service.connect()
        var answers: [[Float]] = []
        for _ in 0..<3 {
            let response = try client.post(contentType: "application/octet-stream", body: Self.image)
            try #require(response.status == 200, "\(response.text)")
            answers.append(try response.prediction().prediction.probabilities)
        }
        #expect(threads.value.count == 3)
        #expect(threads.value.allSatisfy { $0.hasPrefix("http1-loop") }, "\(threads.value)")
        #expect(Set(answers).count == 1)
        #expect(try scraper.get("/healthz").status == 200)
    }

    /// Pipelined requests on one connection are answered one after another; after an inline
    /// pass the loop polls its other connections before it runs another, so the burst is not
    /// all inlined: no two passes in a row run on the loop thread, and the queued ones give
    /// the inline ones' bits.
    @Test func aPipelinedBurstIsNotAllInlined() throws {
        let threads = PassThreads()
        let service = try Self.service(threads)
        defer { service.stop() }
        let client = try service.connect()
        let request = RawHTTPClient.head(method: "POST", path: "/predict",
                                         headers: [("Content-Type", "application/octet-stream")],
                                         contentLength: Self.image.count) + Self.image
        let burst = 6
        client.send(Array([[UInt8]](repeating: request, count: burst).joined()))
        var answers: [[Float]] = []
        for _ in 0..<burst {
            let response = try client.readResponse()
            try #require(response.status == 200, "\(response.text)")
            answers.append(try response.prediction().prediction.probabilities)
        }
        let names = threads.waitFor(burst)
        let inline = names.map { $0.hasPrefix("http1-loop") }
        #expect(inline.count == burst)
        #expect(inline.first == true, "\(names)")
        #expect(inline.contains(false), "\(names)")
        #expect(!zip(inline, inline.dropFirst()).contains { $0 && $1 }, "\(names)")
        #expect(Set(answers).count == 1)
    }
}
