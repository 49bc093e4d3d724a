import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs one look at the shared state directory every `interval` seconds on a thread of its
/// own, until stopped. Polling rather than inotify: inotify does not see changes made by other
/// NFS clients, and a shared volume is exactly where the replicas are.
// Unchecked: `stopping` and `running` are only touched with `condition` locked (the loop waits on it);
// `tick` runs on the watcher thread only.
final class StateWatcher: @unchecked Sendable {
    let interval: Double
    private let tick: () -> Void
    private let condition = Condition()
    private var stopping = false
    private var running = false

    init(interval: Double, tick: @escaping () -> Void) {
        self.interval = interval
        self.tick = tick
    }

    func start() {
        condition.withLock { running = true }
        Threads.start(name: "mnist-cnn.state-watcher") { [self] in loop() }
    }

    /// Stops the loop and waits for the tick in progress to finish.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            let deadline = MonotonicClock.seconds() + interval
            while !stopping && MonotonicClock.seconds() < deadline { condition.wait(seconds: deadline - MonotonicClock.seconds()) }
            if stopping {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            tick()
        }
    }
}
