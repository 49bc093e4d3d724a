import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads that decode and normalize the images of requests that declare many pixels, at a
/// lower scheduling priority than the event loops and the inference thread.
///
/// On a machine with few cores, four 16-megapixel decodes at the normal priority take the
/// CPU from the threads that answer everyone else: under the PNG bombs of issue 11 the p99 of
/// a well-behaved client's 28x28 prediction rose to 70 ms. A nice value of 10 gives these
/// threads about a tenth of the CPU weight of a normal thread (the kernel's CFS weights 110
/// against 1024) while they compete, and all of it when nothing else runs. The backlog is
/// bounded: a request that finds it full is refused (503) rather than queued without end.
// Unchecked: `pending` is only touched with `condition` locked (the workers wait on it, which a Mutex cannot).
final class DecodeWorkers: @unchecked Sendable {
    /// The niceness of the worker threads (0 is the default, 19 the lowest priority).
    static let niceness: Int32 = 10

    let maxPending: Int
    private let condition = Condition()
    private var pending: [@Sendable () -> Void] = []

    /// Starts `threads` workers; they live as long as the process, like a dispatch queue's.
    init(threads: Int, maxPending: Int) {
        precondition(threads >= 1 && maxPending >= 1)
        self.maxPending = maxPending
        for index in 0..<threads {
            Threads.start(name: "decode-\(index)", stackSize: 1 << 20) { [self] in
                // On Linux the nice value is a thread's own, and PRIO_PROCESS with id 0 names
                // the calling thread (setpriority(2), NOTES), so only this worker is lowered.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
                run()
            }
        }
    }

    /// Queues `work`; false (and nothing queued) when `maxPending` jobs already wait.
    func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count < maxPending else { return false }
        pending.append(work)
        condition.signal()
        return true
    }

    private func run() -> Never {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let work = pending.removeFirst()
            condition.unlock()
            work()
        }
    }
}
