import CPlatform

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
