import Synchronization

/// Delivers the response of an asynchronous handler, from any thread, exactly once.
///
/// The `/predict` route hands its request to a batcher on another queue and answers when the
/// batch is done; this is what it answers through. Later calls to `send` are ignored. A
/// responder dropped without answering sends a 500 problem so the connection never hangs.
public final class HTTPResponder: Sendable {
    private let delivered = Atomic(false)
    private let deliver: @Sendable (HTTPResponse) -> Void

    /// A responder calling `deliver` with the first response sent (tests use this directly).
    public init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

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
