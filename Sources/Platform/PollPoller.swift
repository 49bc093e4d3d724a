#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `Poller` over poll(2), available on every POSIX system: the registered descriptors live
/// in a `pollfd` table handed to the kernel on each wait.
///
/// A wait costs time linear in the registered descriptors, so this backend suits few
/// connections or a kernel without epoll. It has no exclusive wake-up: every poller sharing
/// a listener wakes, and all but one find nothing to accept.
public final class PollPoller: Poller {
    private var descriptors: [pollfd] = []
    private var tokens: [UInt64] = []
    /// Where each registered descriptor sits in `descriptors` and `tokens`.
    private var slots: [Int32: Int] = [:]
    private var ready: [PollEvent] = []
    private let capacity: Int
    /// Where the next wait's scan starts, so with more ready descriptors than `capacity`
    /// the ones at the end of the table are not starved.
    private var scanStart = 0

    /// An empty table reporting up to `capacity` events per wait.
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
        ready.reserveCapacity(self.capacity)
    }

    public func add(_ fd: Int32, token: UInt64, events: PollEvents, exclusive: Bool) throws(SystemCallError) {
        guard slots[fd] == nil else { throw SystemCallError(call: "poll add", code: EEXIST) }
        slots[fd] = descriptors.count
        descriptors.append(pollfd(fd: fd, events: Self.pollBits(events), revents: 0))
        tokens.append(token)
    }

    public func modify(_ fd: Int32, token: UInt64, events: PollEvents) throws(SystemCallError) {
        guard let slot = slots[fd] else { throw SystemCallError(call: "poll modify", code: ENOENT) }
        descriptors[slot].events = Self.pollBits(events)
        tokens[slot] = token
    }

    public func remove(_ fd: Int32) throws(SystemCallError) {
        guard let slot = slots.removeValue(forKey: fd) else { throw SystemCallError(call: "poll remove", code: ENOENT) }
        let last = descriptors.count - 1
        if slot != last {
            descriptors[slot] = descriptors[last]
            tokens[slot] = tokens[last]
            slots[descriptors[slot].fd] = slot
        }
        descriptors.removeLast()
        tokens.removeLast()
    }

    public func removeBeforeClose(_ fd: Int32) {
        try? remove(fd)
    }

    public func wait(timeoutMilliseconds: Int32) throws(SystemCallError) -> Int {
        ready.removeAll(keepingCapacity: true)
        let count = descriptors.withUnsafeMutableBufferPointer {
            poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds)
        }
        if count < 0 {
            if errno == EINTR { return 0 }
            throw .last("poll")
        }
        guard count > 0 else { return 0 }
        let total = descriptors.count
        var found = 0
        for step in 0..<total where found < Int(count) && ready.count < capacity {
            let slot = (scanStart + step) % total
            let revents = descriptors[slot].revents
            guard revents != 0 else { continue }
            found += 1
            ready.append(PollEvent(token: tokens[slot], events: Self.events(revents)))
        }
        scanStart = total == 0 ? 0 : (scanStart + 1) % total
        return ready.count
    }

    @inline(__always)
    public func event(at index: Int) -> PollEvent {
        ready[index]
    }

    public func close() {
        descriptors = []
        tokens = []
        slots = [:]
        ready = []
    }

    private static func pollBits(_ events: PollEvents) -> Int16 {
        var bits: Int32 = 0
        if events.contains(.readable) { bits |= Int32(POLLIN) }
        if events.contains(.writable) { bits |= Int32(POLLOUT) }
        return Int16(truncatingIfNeeded: bits)
    }

    /// POLLNVAL (a descriptor closed while registered) counts as an error, as epoll would
    /// never report it at all: the owner closes the connection either way.
    private static func events(_ revents: Int16) -> PollEvents {
        let bits = Int32(revents)
        var events: PollEvents = []
        if bits & Int32(POLLIN) != 0 { events.insert(.readable) }
        if bits & Int32(POLLOUT) != 0 { events.insert(.writable) }
        if bits & Int32(POLLERR | POLLNVAL) != 0 { events.insert(.error) }
        if bits & Int32(POLLHUP) != 0 { events.insert(.hangUp) }
        return events
    }
}
