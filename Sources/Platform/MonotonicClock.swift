#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Time that only moves forward (`CLOCK_MONOTONIC`), for durations, deadlines and latency
/// figures: wall-clock time can jump when NTP or an operator sets it.
public enum MonotonicClock {
    /// Seconds since an arbitrary start (boot, on Linux).
    @inline(__always)
    public static func seconds() -> Double {
        Double(nanoseconds()) * 1e-9
    }

    /// Nanoseconds since an arbitrary start (boot, on Linux).
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
