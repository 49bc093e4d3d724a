import Synchronization

/// Delivers the response of an asynchronous handler, from any thread, exactly once.
///
/// The `/predict` route hands its request to a batcher on another queue and answers when the
/// batch is done; this is what it answers through. Later calls to `send` are ignored. A
/// responder dropped without answering sends a 500 problem so the connection never hangs.
public final class HTTPResponder: Sendable {
    private let delivered = Atomic(false)
    private let deliver: @Sendable (HTTPResponse) -> Void
    /// The event loop that called the handler (nil for a responder made directly, outside a
    /// server).
    private let loop: EventLoop?

    /// A responder calling `deliver` with the first response sent (tests use this directly).
    public init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
        loop = nil
    }

    /// The responder of a request `loop` dispatches.
    init(loop: EventLoop, deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
        self.loop = loop
    }

    /// Whether the event loop that called the handler has nothing else to do right now: no
    /// other connection ready, no other thread's answer waiting to be written, no request
    /// already answered on its thread since it last polled. A handler that finds it so may do
    /// a short piece of work (one small forward pass) on the loop's thread and answer before
    /// returning, saving two thread hand-offs, without making anyone wait. Read it in the
    /// handler itself: on any other thread, and for a responder made outside a server, it is
    /// false (nothing is known, so other work may be waiting).
    public var loopIsOtherwiseIdle: Bool {
        loop?.isOtherwiseIdle ?? false
    }

    /// Whether a response has been sent.
    var hasSent: Bool { delivered.load(ordering: .acquiring) }

    /// Sends `response`; ignored after the first call.
    public func send(_ response: HTTPResponse) {
        let first = delivered.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        if first { deliver(response) }
    }

    deinit {
        if !delivered.load(ordering: .acquiring) {
            deliver(.problem(status: 500, detail: "The handler finished without sending a response."))
        }
    }
}
