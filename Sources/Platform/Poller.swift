import CPlatform

/// Readiness of a descriptor: what a registration asks for and what an event reports.
/// `error` and `hangUp` are reported whether asked for or not (as epoll and poll both do).
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = PollEvents(rawValue: UInt32(CPLATFORM_READABLE))
    public static let writable = PollEvents(rawValue: UInt32(CPLATFORM_WRITABLE))
    public static let error = PollEvents(rawValue: UInt32(CPLATFORM_ERROR))
    /// Both directions are closed (a reset, or the peer closed after we shut our side).
    public static let hangUp = PollEvents(rawValue: UInt32(CPLATFORM_HANG_UP))
}

/// One ready descriptor, named by the token it was registered with.
public struct PollEvent: Sendable, Equatable {
    public var token: UInt64
    public var events: PollEvents

    public init(token: UInt64, events: PollEvents) {
        self.token = token
        self.events = events
    }
}

/// Level-triggered readiness polling over a set of descriptors, used by one thread.
///
/// Two backends do the same job: `EpollPoller` (Linux; cost per wait independent of how
/// many descriptors are idle) and `PollPoller` (poll(2), POSIX; cost linear in the
/// registered descriptors), so the server does not depend on one kernel interface and the
/// tests check that it behaves the same on both.
public protocol Poller: AnyObject {
    /// Starts watching `fd` for `events`, reporting it as `token`. `exclusive` asks, where the
    /// backend can, that only one of several pollers sharing `fd` (a listener) be woken.
    func add(_ fd: Int32, token: UInt64, events: PollEvents, exclusive: Bool) throws(SystemCallError)
    /// Changes what `fd` is watched for.
    func modify(_ fd: Int32, token: UInt64, events: PollEvents) throws(SystemCallError)
    /// Stops watching `fd`, which stays open.
    func remove(_ fd: Int32) throws(SystemCallError)
    /// Forgets `fd` because it is about to be closed (closing removes it from an epoll set
    /// by itself, so that backend does nothing here; poll's own table must drop it).
    func removeBeforeClose(_ fd: Int32)
    /// Waits up to `timeoutMilliseconds` (-1: forever) and returns how many events are ready,
    /// readable with `event(at:)` until the next wait. An interrupted wait returns 0.
    func wait(timeoutMilliseconds: Int32) throws(SystemCallError) -> Int
    /// The `index`th event of the last `wait`.
    func event(at index: Int) -> PollEvent
    /// Releases the backend's descriptors; the poller is unusable afterwards.
    func close()
}

/// Which `Poller` implementation a server uses.
public enum PollerBackend: String, Sendable, CaseIterable {
    /// epoll(7): Linux only.
    case epoll
    /// poll(2): every POSIX system.
    case poll

    /// epoll where the build has it, else poll.
    public static var platformDefault: PollerBackend {
        cplatform_has_epoll() != 0 ? .epoll : .poll
    }

    /// A new poller of this kind, able to report up to `capacity` events per wait.
    public func makePoller(capacity: Int = 256) throws(SystemCallError) -> any Poller {
        switch self {
        case .epoll: try EpollPoller(capacity: capacity)
        case .poll: PollPoller(capacity: capacity)
        }
    }
}
