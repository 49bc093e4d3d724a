import CPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `Poller` over epoll(7) (Linux), through the C shim so Swift never computes
/// `struct epoll_event` offsets (packed on x86_64 only).
public final class EpollPoller: Poller {
    private let epollFD: Int32
    private let capacity: Int
    private let ready: UnsafeMutablePointer<cplatform_event>

    /// A new epoll instance reporting up to `capacity` (at most 1024) events per wait.
    public init(capacity: Int = 256) throws(SystemCallError) {
        epollFD = cplatform_epoll_create()
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        self.capacity = min(max(1, capacity), 1024)
        ready = .allocate(capacity: self.capacity)
    }

    deinit {
        ready.deallocate()
    }

    public func add(_ fd: Int32, token: UInt64, events: PollEvents, exclusive: Bool) throws(SystemCallError) {
        guard cplatform_epoll_add(epollFD, fd, events.rawValue, token, exclusive ? 1 : 0) == 0 else {
            throw .last("epoll_ctl")
        }
    }

    public func modify(_ fd: Int32, token: UInt64, events: PollEvents) throws(SystemCallError) {
        guard cplatform_epoll_modify(epollFD, fd, events.rawValue, token) == 0 else { throw .last("epoll_ctl") }
    }

    public func remove(_ fd: Int32) throws(SystemCallError) {
        guard cplatform_epoll_delete(epollFD, fd) == 0 else { throw .last("epoll_ctl") }
    }

    public func removeBeforeClose(_ fd: Int32) {}

    public func wait(timeoutMilliseconds: Int32) throws(SystemCallError) -> Int {
        let count = cplatform_epoll_wait(epollFD, ready, Int32(capacity), timeoutMilliseconds)
        if count >= 0 { return Int(count) }
        if errno == EINTR { return 0 }
        throw .last("epoll_wait")
    }

    @inline(__always)
    public func event(at index: Int) -> PollEvent {
        PollEvent(token: ready[index].token, events: PollEvents(rawValue: ready[index].events))
    }

    public func close() {
        _ = systemClose(epollFD)
    }
}

/// The C library's `close`, named apart from the members called `close`.
@inline(__always)
func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #elseif canImport(Musl)
    Musl.close(fd)
    #elseif canImport(Darwin)
    Darwin.close(fd)
    #endif
}
