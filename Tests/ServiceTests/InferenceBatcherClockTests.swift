import Foundation
import Service
import Synchronization
import TensorCore
import Testing

/// The batcher's queue delay runs on the clock it is given: with a manual clock the window is
/// exact, and the test needs no sleep and no timing margin.
@Suite struct InferenceBatcherClockTests {
    /// The batches a batcher ran, in order, with a signal per batch.
    final class Batches: Sendable {
        private let records = Mutex<[InferenceBatcher.BatchRecord]>([])
        private let ran = DispatchSemaphore(value: 0)

        func record(_ record: InferenceBatcher.BatchRecord) {
            records.withLock { $0.append(record) }
            ran.signal()
        }

        /// The batches once `count` have run (a minute is a hang, not a measurement).
        func waitFor(_ count: Int) -> [InferenceBatcher.BatchRecord] {
            for _ in 0..<count { _ = ran.wait(timeout: .now() + 60) }
            return records.withLock { $0 }
        }
    }

    /// A started batcher over the tiny network with a 60-second window, reading `clock`.
    static func batcher(maxBatchSize: Int, clock: ManualTimeSource, batches: Batches) throws -> InferenceBatcher {
        let slot = ModelSlot(LoadedModel(id: "tiny", network: try Network(architecture: .tiny, seed: 1), metadata: [:]))
        let batcher = InferenceBatcher(slot: slot, settings: InferenceBatcher.Settings(
            maxBatchSize: maxBatchSize, maxQueueDelayMicroseconds: 60_000_000, threads: 1), time: clock.source)
        batcher.onBatch = { batches.record($0) }
        batcher.start()
        return batcher
    }

    static func submitOne(_ batcher: InferenceBatcher) {
        batcher.submit(images: [Float](repeating: 0.5, count: 784), count: 1) { _ in }
    }

    /// Inside the window the first request waits for company, however often the batcher is
    /// woken (here at 59 s of 60), and a batch that fills runs at once, before the deadline.
    @Test func heldInsideTheWindowUntilTheBatchFills() throws {
        let clock = ManualTimeSource(), batches = Batches()
        let batcher = try Self.batcher(maxBatchSize: 3, clock: clock, batches: batches)
        defer { batcher.stop() }
        Self.submitOne(batcher)
        clock.advance(by: 59)
        Self.submitOne(batcher)
        Self.submitOne(batcher)
        let records = batches.waitFor(1)
        #expect(records.map(\.requests) == [3])
        #expect(records.first?.queueDelay == 59, "the oldest request waited 59 s by the injected clock")
        #expect(records.first?.inferenceSeconds == 0, "the clock stood still during the pass")
    }

    /// Once the clock passes the deadline, the next wake-up runs the partial batch.
    @Test func partialBatchRunsOnceTheClockPassesTheDeadline() throws {
        let clock = ManualTimeSource(), batches = Batches()
        let batcher = try Self.batcher(maxBatchSize: 64, clock: clock, batches: batches)
        defer { batcher.stop() }
        Self.submitOne(batcher)
        clock.advance(by: 61)
        Self.submitOne(batcher)
        let first = try #require(batches.waitFor(1).first)
        #expect(first.queueDelay == 61, "the first request ran only after the 60 s window closed")
        #expect(first.images < 64)
    }
}
