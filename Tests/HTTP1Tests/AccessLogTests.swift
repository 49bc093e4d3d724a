import Foundation
import Logging
import Synchronization
import Testing
@testable import HTTP1

/// The access log's bounded hand-off from the event loops to its writer thread.
@Suite("AccessLog")
struct AccessLogTests {
    static func record(_ index: Int) -> RequestRecord {
        RequestRecord(method: "GET", route: "/r", path: "/r/\(index)", status: 200, responseBytes: 2, durationSeconds: 0.001)
    }

    /// With the writer not draining, records beyond the capacity are dropped and counted at
    /// once (a loop never waits); the queued ones are still written, in order, on stop.
    @Test func fullBufferDropsAndCountsWithoutWaiting() {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "AccessLogTests") { _ in handler }
        logger.logLevel = .info
        let log = AccessLog(logger: logger, level: .info, capacity: 2)
        for index in 0..<5 { log.append(Self.record(index)) }
        #expect(log.droppedCount == 3)
        log.start()
        log.stop()
        #expect(handler.messages.map(\.message) == ["GET /r/0 200 2B 1.000ms", "GET /r/1 200 2B 1.000ms"])
        #expect(handler.messages.allSatisfy { $0.level == .info && $0.metadata["status"] == "200" })
    }

    /// Durations print as milliseconds with three decimals, rounded to the microsecond.
    @Test func millisecondsFormatting() {
        #expect(RequestRecord.milliseconds(0) == "0.000")
        #expect(RequestRecord.milliseconds(0.001) == "1.000")
        #expect(RequestRecord.milliseconds(0.0012504) == "1.250")
        #expect(RequestRecord.milliseconds(0.000_007) == "0.007")
        #expect(RequestRecord.milliseconds(12.345_678_9) == "12345.679")
    }

    /// Below the logger's level the log is off: nothing is queued, formatted or counted.
    @Test func filteredLevelQueuesNothing() {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "AccessLogTests") { _ in handler }
        logger.logLevel = .warning
        let log = AccessLog(logger: logger, level: .info, capacity: 1)
        #expect(!log.isEnabled)
        for index in 0..<3 { log.append(Self.record(index)) }
        log.start()
        log.stop()
        #expect(log.droppedCount == 0)
        #expect(handler.messages.isEmpty)
    }

    /// A running writer drains what the loops hand it, batch after batch.
    @Test func runningWriterDrainsEverything() {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "AccessLogTests") { _ in handler }
        logger.logLevel = .info
        let log = AccessLog(logger: logger, level: .info, capacity: 4096)
        log.start()
        for index in 0..<1000 { log.append(Self.record(index)) }
        log.stop()
        #expect(log.droppedCount == 0)
        #expect(handler.messages.count == 1000)
        #expect(handler.messages.last?.message.hasPrefix("GET /r/999 ") == true)
    }

    /// Records arriving one by one are written together: the writer, woken by the first,
    /// gathers for `gatherSeconds` instead of waking for each (10 records 1 ms apart used to
    /// make about 10 batches).
    @Test func writerGathersRecordsIntoBatches() {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "AccessLogTests") { _ in handler }
        logger.logLevel = .info
        let batches = Mutex<[Int]>([])
        let log = AccessLog(logger: logger, level: .info, capacity: 4096,
                            batchWriter: { batch in batches.withLock { $0.append(batch.count) } })
        log.start()
        for index in 0..<10 {
            log.append(Self.record(index))
            usleep(1_000)
        }
        log.stop()
        let sizes = batches.withLock { $0 }
        #expect(sizes.reduce(0, +) == 10)
        #expect(sizes.count <= 3, "batches \(sizes)")
    }
}

