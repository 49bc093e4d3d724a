#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable (pthread), for threads that sleep until another thread
/// changes the state the mutex guards: the same calls as Foundation's `NSCondition`
/// (`lock`, `unlock`, `withLock`, `wait`, `signal`, `broadcast`), without linking full
/// Foundation. Timed waits measure on `CLOCK_MONOTONIC` (where the platform allows), so a
/// wall-clock jump neither cuts a wait short nor stretches it.
///
/// `@unchecked Sendable`: the pthread objects are made for use from many threads; they live
/// in stable heap allocations owned by this instance and are never moved or copied.
public final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if !canImport(Darwin)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
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

    /// Releases the mutex, sleeps until signalled (or spuriously: callers loop on their
    /// predicate), and holds the mutex again on return. Call with the mutex held.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// `wait()` for at most `seconds` (nothing at all when `seconds <= 0`); false when the time
    /// ran out. Call with the mutex held.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        guard seconds > 0 else { return false }
        #if canImport(Darwin)
        var relative = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        return pthread_cond_timedwait_relative_np(condition, mutex, &relative) == 0
        #else
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let whole = seconds.rounded(.down)
        // A wait past the year 2262 is a wait forever; clamp instead of overflowing.
        let addSeconds = whole < 1e12 ? Int(whole) : 1_000_000_000_000
        var nanoseconds = deadline.tv_nsec + Int((seconds - whole) * 1e9)
        var wholeSeconds = deadline.tv_sec + addSeconds
        if nanoseconds >= 1_000_000_000 { nanoseconds -= 1_000_000_000; wholeSeconds += 1 }
        deadline.tv_sec = wholeSeconds
        deadline.tv_nsec = nanoseconds
        return pthread_cond_timedwait(condition, mutex, &deadline) == 0
        #endif
    }

    /// Wakes one waiting thread.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiting thread.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
