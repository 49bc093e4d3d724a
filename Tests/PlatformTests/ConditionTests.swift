import Platform
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ConditionTests {
    /// A timed wait nobody signals runs out (false) after about its time, never before it.
    @Test func timedWaitRunsOut() {
        let condition = Condition()
        let start = MonotonicClock.seconds()
        let signalled = condition.withLock { condition.wait(seconds: 0.05) }
        let waited = MonotonicClock.seconds() - start
        #expect(!signalled)
        #expect(waited >= 0.049)
        #expect(!condition.withLock { condition.wait(seconds: 0) })
        #expect(!condition.withLock { condition.wait(seconds: -1) })
    }

    /// A waiter sleeping on its predicate wakes when another thread changes the state and
    /// signals; the state it reads back is the one written under the lock.
    @Test func signalWakesAWaiter() {
        let condition = Condition()
        nonisolated(unsafe) var ready = false
        nonisolated(unsafe) var seen = 0
        let waiter = Thread {
            condition.lock()
            while !ready { condition.wait() }
            seen = 42
            condition.broadcast()
            condition.unlock()
        }
        waiter.start()
        condition.withLock {
            ready = true
            condition.signal()
        }
        condition.lock()
        while seen == 0 { _ = condition.wait(seconds: 10) }
        condition.unlock()
        waiter.join()
        #expect(seen == 42)
    }
}

/// A joinable pthread running `body`: the test needs a real second thread, not a task.
// Unchecked: `thread` is written by `start` and read by `join`, both on the test's thread.
private final class Thread: @unchecked Sendable {
    private let body: () -> Void
    private var thread = pthread_t()

    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let me = Unmanaged<Thread>.fromOpaque(context!).takeRetainedValue()
            me.body()
            return nil
        }, context)
    }

    func join() { pthread_join(thread, nil) }
}
