import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1

/// The Open Inference Protocol (KServe v2) over REST: server and model metadata, model
/// readiness, and inference with JSON tensors or the binary tensor data extension, so that
/// `tritonclient`, KServe's SDK and the load generators built for them work unchanged.
/// (`/v2/health/live` and `/v2/health/ready` are the probes of `OperationsRoutes`.)
///
/// The model is `mnist-cnn`; with no version it is the active model, and every registered
/// model is a version of it named by its id. Inference goes through the same batcher and the
/// same limits as `/predict`. Errors carry the protocol's `error` beside the problem fields.
struct KServeRoutes {
    let versions: ModelVersions
    let configuration: ServiceConfiguration
    let readiness: Readiness
    let metrics: ServiceMetrics
    let limits: TensorRequestLimits

    static let serverVersion = "1.0.0"

    func register(on router: Router) {
        router.add(method: "GET", path: "/v2") { _ in
            var json = "{\"name\":\"\(KServeModel.name)\",\"version\":\"\(Self.serverVersion)\",\"extensions\":["
            json += KServeModel.extensions.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            return .json(200, [UInt8](json.utf8))
        }
        let metadata: Router.Handler = { request in
            if let failure = check(request) { return failure }
            return .json(200, modelMetadata())
        }
        router.add(method: "GET", path: "/v2/models/{name}", metadata)
        router.add(method: "GET", path: "/v2/models/{name}/versions/{version}", metadata)

        let ready: Router.Handler = { request in
            if let failure = check(request) { return failure }
            guard readiness.acceptsRequests else {
                return .protocolError(status: 503, "model \(KServeModel.name) is not ready: \(readiness.reason)",
                                      headers: ["Retry-After": "1"])
            }
            return .json(200, [UInt8]("{\"name\":\"\(KServeModel.name)\",\"ready\":true}".utf8))
        }
        router.add(method: "GET", path: "/v2/models/{name}/ready", ready)
        router.add(method: "GET", path: "/v2/models/{name}/versions/{version}/ready", ready)

        let infer: Router.AsyncHandler = { request, responder in
            if let failure = check(request) {
                responder.send(failure)
                return
            }
            guard readiness.current != .starting else {
                responder.send(.protocolError(status: 503, "not ready: \(readiness.reason)", headers: ["Retry-After": "1"]))
                return
            }
            // Parsing costs time in proportion to the body: large ones go to the decode workers.
            if request.body.count <= PredictRoutes.inlineParseBytes {
                handleInfer(request, responder)
            } else if let refusal = PredictRoutes.offload({ handleInfer(request, responder) }) {
                responder.send(refusal.protocolResponse)
            }
        }
        router.add(method: "POST", path: "/v2/models/{name}/infer", requiresBody: true,
                   maxBodyBytes: configuration.maxPredictBodyBytes, infer)
        router.add(method: "POST", path: "/v2/models/{name}/versions/{version}/infer", requiresBody: true,
                   maxBodyBytes: configuration.maxPredictBodyBytes, infer)
    }

    /// 404 for a model other than `mnist-cnn` or a version that is not a registered model.
    private func check(_ request: HTTPRequest) -> HTTPResponse? {
        let name = request.pathParameters["name"] ?? ""
        guard name == KServeModel.name else {
            return .protocolError(status: 404, "unknown model \(name): this server serves \(KServeModel.name)")
        }
        if let version = request.pathParameters["version"], !versions.exists(version) {
            return .protocolError(.unknownVersion(version))
        }
        return nil
    }

    private func handleInfer(_ request: HTTPRequest, _ responder: HTTPResponder) {
        guard let parsed = responder.answeringProtocolErrors({ try KServeInferRequest.parse(request, limits: limits) })
        else { return }
        versions.submit(images: parsed.pixels, count: parsed.count, version: request.pathParameters["version"]) { result in
            switch result {
            case .success(let answer):
                for probabilities in answer.probabilities { metrics.recordPrediction(digit: KServeInferResponse.argmax(probabilities)) }
                responder.send(KServeInferResponse.render(answer, request: parsed))
            case .failure(let failure):
                responder.send(.protocolError(failure))
            }
        }
    }

    /// Model metadata: every version, the input (UINT8 pixels, FP32 accepted too, as the
    /// input's `parameters` say) and the outputs in the order inference returns them.
    private func modelMetadata() -> [UInt8] {
        var json = "{\"name\":\"\(KServeModel.name)\",\"versions\":["
        json += versions.versions.map { id -> String in
            var quoted = ""
            JSONText.appendQuoted(id, to: &quoted)
            return quoted
        }.joined(separator: ",")
        json += "],\"platform\":\"mnist-cnn\",\"inputs\":[{\"name\":\"\(KServeModel.inputName)\",\"datatype\":\"UINT8\","
            + "\"shape\":[-1,28,28],\"parameters\":{\"accepted_datatypes\":[\"UINT8\",\"FP32\"],"
            + "\"description\":\"28x28 MNIST-style digits, 0 background: UINT8 0-255, or FP32 0-1\"}}],"
            + "\"outputs\":[{\"name\":\"\(KServeModel.probabilitiesOutput)\",\"datatype\":\"FP32\",\"shape\":[-1,10]},"
            + "{\"name\":\"\(KServeModel.digitOutput)\",\"datatype\":\"INT64\",\"shape\":[-1]}]}"
        return Array(json.utf8)
    }
}
