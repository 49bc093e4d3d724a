#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with the calls of Foundation's `NSLock` (`lock`, `unlock`, `withLock`),
/// without linking full Foundation. For new state prefer `Mutex` (Synchronization), which
/// owns the value it guards; this is the drop-in for code that guards several members.
///
/// `@unchecked Sendable`: a pthread mutex is made for use from many threads; it lives in a
/// stable heap allocation owned by this instance and is never moved or copied.
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }

    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the mutex.
    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}
