import Foundation
import Logging

/// The per-request access log, written by a thread of its own so an event loop never waits
/// for a write (issue 11: a slow stderr, such as a full pipe to a container runtime, used to
/// stall every loop, and formatting and writing each line on the loop cost ~40 % of the
/// throughput of a trivial route).
///
/// Loops hand records to a bounded buffer, which the writer thread swaps out and formats in
/// batches. When the buffer is full the record is dropped and counted instead of blocking:
/// losing access-log lines under overload is better than slowing every request down.
final class AccessLog: @unchecked Sendable {
    /// Records waiting at most; at ~100 bytes each, a few hundred KiB.
    static let defaultCapacity = 4096

    private let logger: Logger
    private let level: Logger.Level
    private let capacity: Int
    /// Whether `level` passes the logger's level: when it does not, records are not even queued.
    let isEnabled: Bool
    private let condition = NSCondition()
    private var pending: [RequestRecord] = []
    private var dropped = 0
    private var state = State.idle

    private enum State {
        case idle, running, stopping, stopped
    }

    init(logger: Logger, level: Logger.Level, capacity: Int = AccessLog.defaultCapacity) {
        self.logger = logger
        self.level = level
        self.capacity = capacity
        isEnabled = logger.logLevel <= level
        pending.reserveCapacity(capacity)
    }

    /// Starts the writer thread (once).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard isEnabled, state == .idle else { return }
        state = .running
        let thread = Thread { [self] in run() }
        thread.name = "http1-access-log"
        thread.start()
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
        // The writer sleeps only on an empty buffer, so only the first record wakes it.
        let wake = pending.count == 1
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
            if pending.isEmpty {
                state = .stopped
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&batch, &pending)
            condition.unlock()
            for record in batch { write(record) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func write(_ record: RequestRecord) {
        let path = Self.loggable(record.path)
        let milliseconds = String(format: "%.3f", record.durationSeconds * 1000)
        logger.log(level: level, "\(record.method) \(path) \(record.status) \(record.responseBytes)B \(milliseconds)ms",
                   metadata: [
                       "method": "\(record.method)", "path": "\(path)", "status": "\(record.status)",
                       "bytes": "\(record.responseBytes)", "duration_ms": "\(milliseconds)",
                   ])
    }

    /// The decoded path with control characters re-escaped, so `%0A` in a request cannot
    /// forge a second access-log line.
    static func loggable(_ path: String) -> String {
        guard path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return path }
        var escaped = ""
        for scalar in path.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                escaped += "%" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
