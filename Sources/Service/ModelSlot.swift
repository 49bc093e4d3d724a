import Foundation
import TensorCore

/// A model ready to serve: its registry id and the network with its weights loaded.
public final class LoadedModel: @unchecked Sendable {
    public let id: String
    /// Only the inference executor runs passes on it (a network is not thread-safe).
    public let network: Network
    public let metadata: [String: String]

    public init(id: String, network: Network, metadata: [String: String]) {
        self.id = id
        self.network = network
        self.metadata = metadata
    }
}

/// The model `/predict` uses. Swapping is atomic: a batch takes the current model when it
/// starts and finishes on it, so in-flight requests complete on the old model while new ones
/// see the new one.
public final class ModelSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var model: LoadedModel?
    private var observers: [(LoadedModel) -> Void] = []

    public init(_ model: LoadedModel? = nil) { self.model = model }

    public var current: LoadedModel? { lock.withLock { model } }

    public func swap(to newModel: LoadedModel) {
        let observers = lock.withLock { () -> [(LoadedModel) -> Void] in
            model = newModel
            return self.observers
        }
        for observer in observers { observer(newModel) }
    }

    /// Called after every swap (metrics, logs).
    public func onSwap(_ observer: @escaping (LoadedModel) -> Void) {
        lock.withLock { observers.append(observer) }
    }
}
