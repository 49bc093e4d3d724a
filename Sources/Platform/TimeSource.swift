#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock a component with timing logic reads, passed in rather than called directly, so
/// that tests move time by hand instead of sleeping (style.md §13).
///
/// Two readings, because they answer different questions: `monotonicSeconds` (never jumps;
/// `MonotonicClock`) for durations, windows and deadlines, and `secondsSince1970` (wall time,
/// which NTP or an operator may set) only for timestamps people read, such as a job's
/// `created_at`. A test's manual source moves both together.
public struct TimeSource: Sendable {
    /// Seconds since an arbitrary start, only ever increasing.
    public let monotonicSeconds: @Sendable () -> Double
    /// Wall-clock seconds since 1970-01-01T00:00:00Z.
    public let secondsSince1970: @Sendable () -> Double

    public init(monotonicSeconds: @escaping @Sendable () -> Double,
                secondsSince1970: @escaping @Sendable () -> Double) {
        self.monotonicSeconds = monotonicSeconds
        self.secondsSince1970 = secondsSince1970
    }

    /// The machine's clocks: `CLOCK_MONOTONIC` and `CLOCK_REALTIME`.
    public static let system = TimeSource(monotonicSeconds: { MonotonicClock.seconds() }, secondsSince1970: {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    })
}
