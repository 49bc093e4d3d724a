import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1

/// TF Serving's REST API: model version status, metadata, and `:predict` in the row and the
/// columnar formats, so code written against TF Serving works unchanged. The model is
/// `mnist-cnn`; each registered model is a version named by its id, no version means the
/// active one. Inference goes through the same batcher and limits as `/predict`.
struct TFServingRoutes {
    let versions: ModelVersions
    let configuration: ServiceConfiguration
    let readiness: Readiness
    let metrics: ServiceMetrics
    let limits: TensorRequestLimits


    func register(on router: Router) {
        let status: Router.Handler = { request in
            let version: String?
            do { (_, version) = try target(request, verb: nil) } catch let error as HTTPError { return error.protocolResponse }
            let shown = version.map { [$0] } ?? versions.versions
            var json = "{\"model_version_status\":["
            json += shown.map { id in
                var quoted = ""
                JSONText.appendQuoted(id, to: &quoted)
                return "{\"version\":\(quoted),\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}"
            }.joined(separator: ",")
            json += "]}"
            return .json(200, [UInt8](json.utf8))
        }
        // Checked on the head, before the route's "no body" limit: a GET of `name:predict`
        // (with the body a POST would carry) is the wrong method, 405, not a body too large.
        let statusTarget: Router.Admission = { request in
            do { _ = try target(request, verb: nil) } catch let error as HTTPError { return error.protocolResponse } catch {}
            return nil
        }
        router.add(method: "GET", path: "/v1/models/{name}", admission: statusTarget, status)
        router.add(method: "GET", path: "/v1/models/{name}/versions/{version}", admission: statusTarget, status)

        let metadata: Router.Handler = { request in
            let version: String?
            do { (_, version) = try target(request, verb: nil) } catch let error as HTTPError { return error.protocolResponse }
            return .json(200, Self.metadata(version: version ?? versions.registry.activeModelID))
        }
        router.add(method: "GET", path: "/v1/models/{name}/metadata", metadata)
        router.add(method: "GET", path: "/v1/models/{name}/versions/{version}/metadata", metadata)

        let predict: Router.AsyncHandler = { request, responder in
            guard let (_, version) = responder.answeringProtocolErrors({ try target(request, verb: "predict") }) else { return }
            guard readiness.current != .starting else {
                responder.send(.protocolError(status: 503, "not ready: \(readiness.reason)", headers: ["Retry-After": "1"]))
                return
            }
            // Parsing costs time in proportion to the body: large ones go to the decode workers.
            if request.body.count <= PredictRoutes.inlineParseBytes {
                handlePredict(request, version: version, responder)
            } else if let refusal = PredictRoutes.offload({ handlePredict(request, version: version, responder) }) {
                responder.send(refusal.protocolResponse)
            }
        }
        router.add(method: "POST", path: "/v1/models/{name}", requiresBody: true,
                   maxBodyBytes: configuration.maxPredictBodyBytes, predict)
        router.add(method: "POST", path: "/v1/models/{name}/versions/{version}", requiresBody: true,
                   maxBodyBytes: configuration.maxPredictBodyBytes, predict)

        // The status and `:predict` paths share a router template, so the router's automatic
        // `Allow` would list GET and POST for both; each answers its own methods instead.
        let options: Router.Handler = { request in
            let last = request.pathParameters["version"] ?? request.pathParameters["name"] ?? ""
            return HTTPResponse(status: 204, headers: ["Allow": last.contains(":") ? "OPTIONS, POST" : "GET, HEAD, OPTIONS"])
        }
        router.add(method: "OPTIONS", path: "/v1/models/{name}", options)
        router.add(method: "OPTIONS", path: "/v1/models/{name}/versions/{version}", options)
    }

    /// The model and version a path names, with `:verb` split off its last segment (TF
    /// Serving's `/v1/models/mnist-cnn:predict`): 405 for a verb with GET or none with POST,
    /// 404 for another model or an unknown version, 400 for a verb other than `:predict`.
    private func target(_ request: HTTPRequest, verb expected: String?) throws -> (name: String, version: String?) {
        var name = request.pathParameters["name"] ?? ""
        var version = request.pathParameters["version"]
        var last = version ?? name
        var verb: String?
        if let colon = last.lastIndex(of: ":") {
            verb = String(last[last.index(after: colon)...])
            last = String(last[..<colon])
        }
        guard let expected else {
            if let verb {
                // `GET /v1/models/mnist-cnn:predict`: the resource exists, the method does not.
                throw HTTPError(status: 405, detail: "GET is not allowed on :\(verb); use POST", headers: ["Allow": "OPTIONS, POST"])
            }
            try check(name: name, version: version)
            return (name, version)
        }
        guard let verb else {
            throw HTTPError(status: 405, detail: "POST needs a verb: /v1/models/\(name)[/versions/{version}]:\(expected)",
                            headers: ["Allow": "GET, HEAD, OPTIONS"])
        }
        if version != nil { version = last } else { name = last }
        try check(name: name, version: version)
        guard verb == expected else { throw HTTPError(status: 400, detail: "the model serves :\(expected), not :\(verb)") }
        return (name, version)
    }

    private func check(name: String, version: String?) throws {
        guard name == KServeModel.name else {
            throw HTTPError(status: 404, detail: "Servable not found for request: \(name): this server serves \(KServeModel.name)")
        }
        if let version, !versions.exists(version) {
            throw HTTPError(status: 404, detail: "Servable not found for request: version \(version) of \(KServeModel.name)")
        }
    }

    private func handlePredict(_ request: HTTPRequest, version: String?, _ responder: HTTPResponder) {
        guard let parsed = responder.answeringProtocolErrors({ try TFServingPredictRequest.parse(request.body, limits: limits) })
        else { return }
        versions.submit(images: parsed.pixels, count: parsed.count, version: version) { result in
            switch result {
            case .success(let answer):
                for probabilities in answer.probabilities { metrics.recordPrediction(digit: KServeInferResponse.argmax(probabilities)) }
                responder.send(.json(200, TFServingPredictRequest.render(answer.probabilities, format: parsed.format)))
            case .failure(let failure):
                responder.send(.protocolError(failure))
            }
        }
    }

    /// The `serving_default` signature as TF Serving's metadata API shows it.
    static func metadata(version: String) -> [UInt8] {
        var quotedVersion = ""
        JSONText.appendQuoted(version, to: &quotedVersion)
        func tensor(_ name: String, _ dims: [Int]) -> String {
            let dim = dims.map { "{\"size\":\"\($0)\",\"name\":\"\"}" }.joined(separator: ",")
            return "\"\(name)\":{\"dtype\":\"DT_FLOAT\",\"tensor_shape\":{\"dim\":[\(dim)],\"unknown_rank\":false},\"name\":\"\(name)\"}"
        }
        let json = "{\"model_spec\":{\"name\":\"\(KServeModel.name)\",\"signature_name\":\"\",\"version\":\(quotedVersion)},"
            + "\"metadata\":{\"signature_def\":{\"signature_def\":{\"serving_default\":{"
            + "\"inputs\":{\(tensor(TFServingPredictRequest.inputName, [-1, 28, 28]))},"
            + "\"outputs\":{\(tensor(KServeModel.probabilitiesOutput, [-1, 10]))},"
            + "\"method_name\":\"tensorflow/serving/predict\"}}}}}"
        return Array(json.utf8)
    }
}
