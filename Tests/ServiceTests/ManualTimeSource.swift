import Platform
import Synchronization

/// A clock that stands still until the test moves it: timing logic (batch windows, write
/// throttles) is then tested by advancing time, never by sleeping.
final class ManualTimeSource: Sendable {
    /// Monotonic and wall seconds, moved together.
    private let readings: Mutex<(monotonic: Double, wall: Double)>

    /// Starts at `wall` seconds since 1970 (2027-01-15 by default) and an arbitrary monotonic 1000.
    init(wall: Double = 1_800_000_000) {
        readings = Mutex((monotonic: 1000, wall: wall))
    }

    /// The `TimeSource` to inject.
    var source: TimeSource {
        TimeSource(monotonicSeconds: { self.readings.withLock { $0.monotonic } },
                   secondsSince1970: { self.readings.withLock { $0.wall } })
    }

    func advance(by seconds: Double) {
        readings.withLock {
            $0.monotonic += seconds
            $0.wall += seconds
        }
    }
}
