import Dispatch
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Synchronization
import TensorCore

/// Inference for the standard protocols (KServe v2, TF Serving), which name a model version:
/// no version (or the active model's id) goes to the same `InferenceBatcher` as `/predict`;
/// any other registered model id is served by a second batcher that holds that one model.
///
/// Only one non-active model is kept loaded at a time (a model is a few megabytes of weights
/// plus its activations and a thread): asking for another version replaces it, after the
/// requests already queued on it are answered. Loads run one at a time on a private queue,
/// never on a network thread, so a burst of requests for a cold version loads it once.
final class ModelVersions: Sendable {
    enum Failure: Error, Equatable {
        /// No registered model has this id (404).
        case unknownVersion(String)
        /// The model file no longer loads (503: the registry vetted it once, the disk changed).
        case loadFailed(String)
        case batcher(InferenceBatcher.Failure)
    }

    let active: InferenceBatcher
    let registry: ModelRegistry
    private let settings: InferenceBatcher.Settings
    private let onBatch: (@Sendable (InferenceBatcher.BatchRecord) -> Void)?
    private struct State {
        /// The non-active model currently loaded, with the batcher that serves it.
        var loaded: (id: String, batcher: InferenceBatcher)?
        var stopped = false
    }

    private let state = Mutex(State())
    private let loadQueue = DispatchQueue(label: "model-versions.load", qos: .userInitiated)

    init(active: InferenceBatcher, registry: ModelRegistry,
         onBatch: (@Sendable (InferenceBatcher.BatchRecord) -> Void)?) {
        self.active = active
        self.registry = registry
        settings = active.settings
        self.onBatch = onBatch
    }

    /// Every registered model id, oldest first (the order versions are usually listed in).
    var versions: [String] { registry.list().map(\.id).reversed() }

    /// Whether `version` names a registered model.
    func exists(_ version: String) -> Bool { registry.record(version) != nil }

    /// Classifies `count` images (784 floats each, 0...1, MNIST polarity) with the active model
    /// (`version` nil) or the registered model `version`; calls `completion` once.
    func submit(images: [Float], count: Int, version: String?,
                completion: @escaping @Sendable (Result<InferenceBatcher.Answer, Failure>) -> Void) {
        guard let version, version != registry.activeModelID else {
            active.submit(images: images, count: count) { [self] result in
                switch result {
                case .success(let answer) where version != nil && answer.modelID != version:
                    // The active model changed between the check and the pass: serve the
                    // version that was asked for, not whichever model is active now.
                    submitToVersion(images: images, count: count, version: version!, completion: completion)
                case .success(let answer): completion(.success(answer))
                case .failure(let failure): completion(.failure(.batcher(failure)))
                }
            }
            return
        }
        submitToVersion(images: images, count: count, version: version, completion: completion)
    }

    private func submitToVersion(images: [Float], count: Int, version: String,
                                 completion: @escaping @Sendable (Result<InferenceBatcher.Answer, Failure>) -> Void) {
        guard exists(version) else {
            completion(.failure(.unknownVersion(version)))
            return
        }
        if let batcher = loadedBatcher(for: version) {
            Self.forward(batcher, images: images, count: count, completion: completion)
            return
        }
        loadQueue.async { [self] in
            do {
                let batcher = try batcher(for: version)
                Self.forward(batcher, images: images, count: count, completion: completion)
            } catch let failure as Failure {
                completion(.failure(failure))
            } catch {
                completion(.failure(.loadFailed("\(error)")))
            }
        }
    }

    private static func forward(_ batcher: InferenceBatcher, images: [Float], count: Int,
                                completion: @escaping @Sendable (Result<InferenceBatcher.Answer, Failure>) -> Void) {
        batcher.submit(images: images, count: count) { result in
            completion(result.mapError { .batcher($0) })
        }
    }

    /// The batcher of `version` if it is the one loaded.
    private func loadedBatcher(for version: String) -> InferenceBatcher? {
        state.withLock { $0.loaded?.id == version ? $0.loaded?.batcher : nil }
    }

    /// The loaded batcher for `version`, loading it (and retiring the previous one) if needed.
    /// Runs on `loadQueue` only.
    private func batcher(for version: String) throws -> InferenceBatcher {
        if let batcher = loadedBatcher(for: version) { return batcher }
        let model: LoadedModel
        do {
            model = try registry.loadVerified(version)
        } catch ModelRegistryError.notFound {
            throw Failure.unknownVersion(version)
        } catch {
            throw Failure.loadFailed("\(error)")
        }
        let batcher = InferenceBatcher(slot: ModelSlot(model), settings: settings)
        batcher.onBatch = onBatch
        batcher.warmUp(model: model)
        let (previous, isStopped) = state.withLock { state -> (InferenceBatcher?, Bool) in
            if state.stopped { return (nil, true) }
            let previous = state.loaded?.batcher
            state.loaded = (version, batcher)
            return (previous, false)
        }
        if isStopped { throw Failure.batcher(.stopped) }
        batcher.start()
        previous?.stop()
        return batcher
    }

    /// Stops the non-active model's batcher (after its queued requests), at shutdown.
    func stop() {
        let batcher = state.withLock { state -> InferenceBatcher? in
            state.stopped = true
            defer { state.loaded = nil }
            return state.loaded?.batcher
        }
        batcher?.stop()
    }
}

extension HTTPResponse {
    /// An error of the KServe v2 and TF Serving protocols: their clients read `error`
    /// (`tritonclient` raises with its text), and it is still an RFC 9457 problem document
    /// (`type`, `title`, `status`, `detail`) like every other error of the service.
    static func protocolError(status: Int, _ message: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        .problem(status: status, detail: message, headers: headers, extensionMembers: ["error": message])
    }

    /// The protocol error for a failed inference: 404 unknown version, 503 otherwise.
    static func protocolError(_ failure: ModelVersions.Failure) -> HTTPResponse {
        switch failure {
        case .unknownVersion(let version):
            return protocolError(status: 404, "model mnist-cnn has no version \(version)")
        case .loadFailed(let reason):
            return protocolError(status: 503, "the model version could not be loaded: \(reason)", headers: ["Retry-After": "1"])
        case .batcher(.overloaded):
            return protocolError(status: 503, "the inference queue is full; retry shortly", headers: ["Retry-After": "1"])
        case .batcher(.noModel), .batcher(.stopped):
            return protocolError(status: 503, "no model is serving right now", headers: ["Retry-After": "1"])
        }
    }
}

extension HTTPError {
    /// This error in the protocols' shape (`error` beside the problem fields).
    var protocolResponse: HTTPResponse { .protocolError(status: status, detail, headers: headers) }
}

extension HTTPResponder {
    /// Runs `work` and gives its result; a thrown error is answered at once in the tensor
    /// protocols' shape (an `HTTPError` with its own status, anything else 400) and gives nil.
    func answeringProtocolErrors<Result>(_ work: () throws -> Result) -> Result? {
        do {
            return try work()
        } catch let error as HTTPError {
            send(error.protocolResponse)
        } catch {
            send(.protocolError(status: 400, "\(error)"))
        }
        return nil
    }
}
