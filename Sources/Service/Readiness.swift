import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Whether the service takes traffic: starting (model loading, warming up), ready, or
/// draining after SIGTERM. `/readyz` answers from it and `/predict` refuses work outside
/// `ready`.
public final class Readiness: Sendable {
    public enum State: String, Sendable {
        case starting, ready, draining
    }

    private struct Guarded {
        var state: State = .starting
        var onChange: [@Sendable (State) -> Void] = []
    }

    private let guarded = Mutex(Guarded())

    public init() {}

    public var current: State { guarded.withLock { $0.state } }
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
        let observers = guarded.withLock { guarded -> [@Sendable (State) -> Void] in
            guard guarded.state != .draining, guarded.state != newState else { return [] }
            guarded.state = newState
            return guarded.onChange
        }
        for observer in observers { observer(newState) }
    }

    public func observe(_ observer: @escaping @Sendable (State) -> Void) { guarded.withLock { $0.onChange.append(observer) } }
}
