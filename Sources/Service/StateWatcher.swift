import Foundation

/// Runs one look at the shared state directory every `interval` seconds on a thread of its
/// own, until stopped. Polling rather than inotify: inotify does not see changes made by other
/// NFS clients, and a shared volume is exactly where the replicas are.
// Unchecked: `stopping` and `running` are only touched with `condition` locked (the loop waits on it);
// `tick` runs on the watcher thread only.
final class StateWatcher: @unchecked Sendable {
    let interval: Double
    private let tick: () -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    init(interval: Double, tick: @escaping () -> Void) {
        self.interval = interval
        self.tick = tick
    }

    func start() {
        condition.withLock { running = true }
        let thread = Thread { [self] in loop() }
        thread.name = "mnist-cnn.state-watcher"
        thread.start()
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
            let deadline = Date().addingTimeInterval(interval)
            while !stopping && Date() < deadline { _ = condition.wait(until: deadline) }
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
