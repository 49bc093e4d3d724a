import CPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (RLIMIT_NOFILE) and what it leaves for connections.
///
/// Containers commonly start processes with a soft limit of 1024 under a much higher hard
/// limit, which would cap a server configured for 10,000 connections at ~1,000 and turn the
/// rest into `accept` failures. The server raises the soft limit to the hard one at start and
/// caps `maxConnections` to what the limit leaves after a reserve for everything else the
/// process opens (model and state files, logs, the event loops' own descriptors).
public enum FileDescriptorLimit {
    /// Descriptors kept free of connections for files, logs and the runtime.
    public static let reserve = 64

    /// Raises the soft limit to the hard limit (allowed without privileges) and returns the
    /// limit then in force (`Int.max` when unlimited or unreadable).
    public static func raiseToHardLimit() -> Int {
        var current: UInt64 = 0
        var maximum: UInt64 = 0
        guard cplatform_file_limit(&current, &maximum) == 0 else { return .max }
        if current < maximum && cplatform_set_file_limit(maximum) == 0 {
            current = maximum
        }
        return Int(clamping: current)  // Unlimited is UInt64.max: Int.max.
    }

    /// The connections a server with `eventLoops` loops can hold under `descriptorLimit`:
    /// `configured`, lowered to leave the reserve, the listener and each loop's poller and
    /// waker descriptors (and a spare each, see `EventLoop`); at least 1.
    public static func connectionCeiling(configured: Int, descriptorLimit: Int, eventLoops: Int) -> Int {
        let overhead = reserve + 1 + 3 * eventLoops
        guard descriptorLimit != .max else { return max(1, configured) }
        return max(1, min(configured, descriptorLimit - overhead))
    }
}

/// A descriptor held in reserve (on /dev/null) for the moment the process runs out: given up
/// briefly, it lets a server accept one waiting connection to refuse it properly instead of
/// leaving it unanswered in the backlog.
public struct SpareDescriptor: ~Copyable {
    private var fd: Int32

    /// Takes the spare now, while descriptors are still available.
    public init() {
        fd = Self.take()
    }

    /// Closes the spare, runs `body` with that descriptor free, then takes it back. Does
    /// nothing when there is no spare to give (it could not be taken back last time).
    public mutating func lend(_ body: () -> Void) {
        guard fd >= 0 else { return }
        _ = systemClose(fd)
        body()
        fd = Self.take()
    }

    /// Gives the spare up for good.
    public mutating func close() {
        if fd >= 0 { _ = systemClose(fd) }
        fd = -1
    }

    deinit {
        if fd >= 0 { _ = systemClose(fd) }
    }

    private static func take() -> Int32 {
        open("/dev/null", O_RDONLY | O_CLOEXEC)
    }
}
