import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import TensorCore

/// A model ready to serve: its registry id and the network with its weights loaded.
// Unchecked: every property is a `let`; the networks are classes with mutable buffers, but only the
// batcher serving the model runs passes on them, one at a time (`InferenceBatcher.passRunning`).
public final class LoadedModel: @unchecked Sendable {
    public let id: String
    /// Only the inference executor runs passes on it (a network is not thread-safe).
    public let network: Network
    public let metadata: [String: String]
    /// The int8 form of `network` when the model is served in int8 (`serve --precision`);
    /// `/predict` then runs it instead.
    public let quantized: QuantizedNetwork?

    public init(id: String, network: Network, metadata: [String: String], quantized: QuantizedNetwork? = nil) {
        self.id = id
        self.network = network
        self.metadata = metadata
        self.quantized = quantized
    }

    /// "int8" or "fp32": what `/readyz` and `/metrics` report.
    public var precision: InferencePrecision { quantized == nil ? .fp32 : .int8 }

    /// Logits of `batch` images from whichever network serves (see `Network.forward`).
    public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float> {
        quantized?.forward(input, batch: batch) ?? network.forward(input, batch: batch)
    }

    /// Class probabilities of `batch` images from whichever network serves.
    public func predict(_ input: UnsafePointer<Float>, batch: Int) -> [Float] {
        quantized?.predict(input, batch: batch) ?? network.predict(input, batch: batch)
    }

    /// Runs inference passes on `threads` threads, and single images' fp32 passes with `helper`.
    func useInferenceThreads(_ threads: Int, helper: PassHelper?) {
        if network.pool.threads != threads { network.pool = ThreadPool(threads: threads) }
        if network.helper !== helper { network.helper = helper }
        if let quantized, quantized.threads != threads { quantized.pool = ThreadPool(threads: threads) }
    }
}

/// The model `/predict` uses. Swapping is atomic: a batch takes the current model when it
/// starts and finishes on it, so in-flight requests complete on the old model while new ones
/// see the new one.
public final class ModelSlot: Sendable {
    private struct State {
        var model: LoadedModel?
        var observers: [@Sendable (LoadedModel) -> Void] = []
    }

    private let state: Mutex<State>

    public init(_ model: LoadedModel? = nil) { state = Mutex(State(model: model)) }

    public var current: LoadedModel? { state.withLock { $0.model } }

    public func swap(to newModel: LoadedModel) {
        let observers = state.withLock { state in
            state.model = newModel
            return state.observers
        }
        for observer in observers { observer(newModel) }
    }

    /// Called after every swap (metrics, logs), on the thread that swapped.
    public func onSwap(_ observer: @escaping @Sendable (LoadedModel) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }
}
