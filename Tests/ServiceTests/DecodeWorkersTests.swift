import Foundation
@testable import Service
import Testing

/// The low-priority threads that decode large images.
struct DecodeWorkersTests {
    /// Work runs at niceness 10, below the event loops and the inference thread.
    @Test func workRunsAtLowerPriority() {
        let workers = DecodeWorkers(threads: 1, maxPending: 4)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var niceness: Int32 = 0
        #expect(workers.submit {
            niceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            done.signal()
        })
        done.wait()
        #expect(niceness == DecodeWorkers.niceness)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == 0, "the caller's priority is untouched")
    }

    /// With every worker busy, `maxPending` jobs wait and the next is refused.
    @Test func backlogIsBounded() {
        let workers = DecodeWorkers(threads: 1, maxPending: 1)
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        #expect(workers.submit { started.signal(); release.wait() })
        started.wait()
        #expect(workers.submit { finished.signal() }, "one job may wait")
        #expect(!workers.submit {}, "the second waiting job is refused")
        release.signal()
        finished.wait()
        #expect(workers.submit {}, "room again once the backlog drained")
    }
}
