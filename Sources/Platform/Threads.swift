#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Dedicated OS threads (event loops, the batcher, the access log writer, the training queue)
/// for work that blocks or must not wait behind Dispatch's pool; what Foundation's `Thread`
/// gave, without linking full Foundation.
public enum Threads {
    /// Starts a detached thread running `body`, named `name` (as `top -H` and crash backtraces
    /// show it; Linux keeps the first 15 bytes), with a stack of `stackSize` bytes or, when
    /// nil, the platform's default (what Foundation's `Thread` gives).
    public static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let status = pthread_create(&thread, &attributes, { context in
            let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
            Threads.setCurrentThreadName(start.name)
            start.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            fatalError("pthread_create failed (\(status)): cannot start thread \(name)")
        }
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
    }

    /// Blocks the calling thread for `seconds` (nothing when `seconds <= 0`), resuming after
    /// an interrupting signal until the time is up.
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        let whole = seconds.rounded(.down)
        var request = timespec(tv_sec: Int(min(whole, 1e12)), tv_nsec: Int((seconds - whole) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Gives the calling thread's core to another runnable thread, if there is one.
    public static func yield() {
        sched_yield()
    }

    /// Names the calling thread. Glibc's `pthread_setname_np` is a GNU extension Swift does not
    /// import, so on Linux the name goes where that function writes it, the thread's `comm`.
    fileprivate static func setCurrentThreadName(_ name: String) {
        #if canImport(Darwin)
        pthread_setname_np(name)
        #else
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #endif
    }
}

/// What a new thread receives through `pthread_create`'s context pointer.
private final class ThreadStart {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
}
