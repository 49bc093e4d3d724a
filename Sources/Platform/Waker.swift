import CPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A descriptor that becomes readable when another thread calls `wake()`: how a thread
/// blocked in a `Poller` wait is handed new work. An eventfd (Linux), so any number of
/// wakes before the poller looks cost one read.
public struct Waker: Sendable {
    /// Register this for `.readable` with the poller.
    public let fd: Int32

    /// A new non-blocking, close-on-exec eventfd.
    public init() throws(SystemCallError) {
        fd = cplatform_wake_descriptor()
        guard fd >= 0 else { throw .last("eventfd") }
    }

    /// Makes `fd` readable; callable from any thread.
    public func wake() {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Consumes the pending wakes, on the polling thread.
    public func reset() {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
    }

    public func close() {
        _ = systemClose(fd)
    }
}
