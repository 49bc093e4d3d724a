import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// The per-request access log, written by a thread of its own so an event loop never waits
/// for a write (issue 11: a slow stderr, such as a full pipe to a container runtime, used to
/// stall every loop, and formatting and writing each line on the loop cost ~40 % of the
/// throughput of a trivial route).
///
/// Loops hand records to a bounded buffer, which the writer thread swaps out and formats in
/// batches. When the buffer is full the record is dropped and counted instead of blocking:
/// losing access-log lines under overload is better than slowing every request down.
// @unchecked: `pending`, `dropped` and `state` are guarded by `condition` (a Platform `Condition`,
// which the writer thread waits on); everything else is immutable.
final class AccessLog: @unchecked Sendable {
    /// Records waiting at most; at ~100 bytes each, a few hundred KiB.
    static let defaultCapacity = 4096
    /// How long the writer lets records gather after the first before it writes them (less
    /// when the buffer fills to half). Waking it for each record cost the loop a system call
    /// and the writer a wake-up on the other core (~35 µs here) for every request that found
    /// the buffer empty: at one connection, every request.
    static let gatherSeconds = 0.05

    private let logger: Logger
    private let level: Logger.Level
    private let capacity: Int
    private let batchWriter: (@Sendable ([RequestRecord]) -> Void)?
    /// Whether `level` passes the logger's level: when it does not, records are not even queued.
    let isEnabled: Bool
    private let condition = Condition()
    private var pending: [RequestRecord] = []
    private var dropped = 0
    private var state = State.idle

    private enum State {
        case idle, running, stopping, stopped
    }

    /// An access log at `level` through `logger`, or, with `batchWriter`, through that (it gets
    /// each batch of records on the writer thread; `logger`'s level still decides whether the
    /// log is on).
    init(logger: Logger, level: Logger.Level, capacity: Int = AccessLog.defaultCapacity,
         batchWriter: (@Sendable ([RequestRecord]) -> Void)? = nil) {
        self.logger = logger
        self.level = level
        self.capacity = capacity
        self.batchWriter = batchWriter
        isEnabled = logger.logLevel <= level
        pending.reserveCapacity(capacity)
    }

    /// Starts the writer thread (once).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard isEnabled, state == .idle else { return }
        state = .running
        Threads.start(name: "http1-access-log") { [self] in run() }
    }

    /// Queues `record`, or drops and counts it when the buffer is full; never waits for the
    /// writer. Callable from any thread.
    func append(_ record: RequestRecord) {
        guard isEnabled else { return }
        condition.lock()
        guard pending.count < capacity else {
            dropped += 1
            condition.unlock()
            return
        }
        pending.append(record)
        // The first record wakes the writer, which then gathers for `gatherSeconds` unless
        // the buffer reaches half its capacity first.
        let wake = pending.count == 1 || pending.count == capacity / 2
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Records dropped because the buffer was full, since start.
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Writes what is queued, then ends the writer thread; returns once it has.
    func stop() {
        condition.lock()
        guard state == .running else {
            condition.unlock()
            return
        }
        state = .stopping
        condition.broadcast()
        while state != .stopped { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var batch: [RequestRecord] = []
        batch.reserveCapacity(capacity)
        while true {
            condition.lock()
            while pending.isEmpty && state == .running { condition.wait() }
            if state == .running && pending.count < capacity / 2 {
                _ = condition.wait(seconds: Self.gatherSeconds)
            }
            if pending.isEmpty {
                state = .stopped
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&batch, &pending)
            condition.unlock()
            if let batchWriter {
                batchWriter(batch)
            } else {
                for record in batch { write(record) }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func write(_ record: RequestRecord) {
        logger.log(level: level, "\(record.accessLogMessage)", metadata: [
            "method": "\(record.method)", "path": "\(record.loggablePath)", "status": "\(record.status)",
            "bytes": "\(record.responseBytes)", "duration_ms": "\(record.durationMilliseconds)",
        ])
    }
}
