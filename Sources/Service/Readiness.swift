import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Whether the service takes traffic: starting (model loading, warming up), ready, or
/// draining after SIGTERM. `/readyz` answers from it and `/predict` refuses work outside
/// `ready`.
public final class Readiness: @unchecked Sendable {
    public enum State: String, Sendable {
        case starting, ready, draining
    }

    private let lock = Lock()
    private var state: State = .starting
    private var onChange: [(State) -> Void] = []

    public init() {}

    public var current: State { lock.withLock { state } }
    public var acceptsRequests: Bool { current == .ready }

    /// Why the service is not ready, for a 503's detail.
    public var reason: String {
        switch current {
        case .starting: return "the model is loading and warming up"
        case .ready: return "ready"
        case .draining: return "the service is shutting down"
        }
    }

    /// Moves forward only: starting → ready → draining (draining is final).
    public func set(_ newState: State) {
        let observers: [(State) -> Void] = lock.withLock {
            guard state != .draining, state != newState else { return [] }
            state = newState
            return onChange
        }
        for observer in observers { observer(newState) }
    }

    public func observe(_ observer: @escaping (State) -> Void) { lock.withLock { onChange.append(observer) } }
}
