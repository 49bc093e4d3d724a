import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Delivers the response of an asynchronous handler, from any thread, exactly once.
///
/// The `/predict` route hands its request to a batcher on another queue and answers when the
/// batch is done; this is what it answers through. Later calls to `send` are ignored. A
/// responder dropped without answering sends a 500 problem so the connection never hangs.
public final class HTTPResponder: @unchecked Sendable {
    private let lock = Lock()
    private var delivered = false
    private let deliver: @Sendable (HTTPResponse) -> Void

    /// A responder calling `deliver` with the first response sent (tests use this directly).
    public init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    /// Sends `response`; ignored after the first call.
    public func send(_ response: HTTPResponse) {
        lock.lock()
        let first = !delivered
        delivered = true
        lock.unlock()
        if first { deliver(response) }
    }

    /// Whether a response has been sent.
    public var hasResponded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return delivered
    }

    deinit {
        if !delivered {
            deliver(.problem(status: 500, detail: "The handler finished without sending a response."))
        }
    }
}
