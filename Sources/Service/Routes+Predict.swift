import Dispatch
import Foundation
import HTTP1
import Imaging

/// `POST /predict`: decode on the network thread (or, for large bodies, a worker queue),
/// normalize MNIST-style, and hand the images to the batcher; the response goes out from the
/// inference thread when the batch is done.
struct PredictRoutes {
    let batcher: InferenceBatcher
    let configuration: ServiceConfiguration
    let readiness: Readiness
    let metrics: ServiceMetrics

    /// Bodies above this are decoded off the event loop so one large PNG cannot stall the
    /// other connections of its loop.
    static let inlineDecodeLimit = 4096
    private static let decodeQueue = DispatchQueue(label: "predict.decode", qos: .userInitiated, attributes: .concurrent)

    func register(on router: Router) {
        router.add(method: "POST", path: "/predict", requiresBody: true, maxBodyBytes: configuration.maxPredictBodyBytes) {
            (request: HTTPRequest, responder: HTTPResponder) in
            // While draining, requests already on their way in are still answered: the server
            // has stopped accepting connections, and readiness tells balancers to go elsewhere.
            guard readiness.current != .starting else {
                responder.send(.problem(status: 503, title: "Not ready", detail: readiness.reason,
                                        headers: ["Retry-After": "1"]))
                return
            }
            if request.body.count <= Self.inlineDecodeLimit {
                handle(request, responder)
            } else {
                Self.decodeQueue.async { handle(request, responder) }
            }
        }
    }

    private func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let parsed: PredictRequest
        var pixels: [Float] = []
        var inputs: [[UInt8]] = []
        do {
            parsed = try PredictRequest.parse(request, limits: configuration.decodeLimits,
                                              maxBatchSize: configuration.maxImagesPerRequest)
            let normalizer = MNISTNormalizer(mode: parsed.normalize)
            pixels.reserveCapacity(parsed.images.count * 784)
            for (index, image) in parsed.images.enumerated() {
                do {
                    let sample = try normalizer.normalize(image)
                    pixels.append(contentsOf: sample.pixels)
                    if parsed.includeInput { inputs.append(sample.bytes) }
                } catch let error as ImageError {
                    throw PredictRequest.problem(for: error, index: parsed.isBatch ? index : nil)
                }
            }
        } catch let error as HTTPError {
            responder.send(error.response)
            return
        } catch {
            responder.send(.problem(status: 400, detail: "\(error)"))
            return
        }
        let count = parsed.images.count
        let normalizedInputs = inputs
        batcher.submit(images: pixels, count: count) { result in
            switch result {
            case .success(let answer):
                responder.send(.json(200, Self.render(answer, request: parsed, inputs: normalizedInputs, metrics: metrics)))
            case .failure(.overloaded):
                responder.send(.problem(status: 503, title: "Overloaded",
                                        detail: "the inference queue is full; retry shortly", headers: ["Retry-After": "1"]))
            case .failure(.noModel), .failure(.stopped):
                responder.send(.problem(status: 503, title: "Not ready", detail: "no model is serving right now",
                                        headers: ["Retry-After": "1"]))
            }
        }
    }

    /// The contract's JSON, written by hand: this is the hot path, and the shape is fixed.
    static func render(_ answer: InferenceBatcher.Answer, request: PredictRequest, inputs: [[UInt8]],
                       metrics: ServiceMetrics) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256 * answer.probabilities.count + (request.includeInput ? 4000 : 0))
        func append(_ text: String) { out.append(contentsOf: text.utf8) }
        func prediction(_ probabilities: [Float], input: [UInt8]?) {
            var best = 0
            for j in 1..<probabilities.count where probabilities[j] > probabilities[best] { best = j }
            metrics.recordPrediction(digit: best)
            append("{\"digit\":\(best),\"confidence\":\(probabilities[best]),\"probabilities\":[")
            for (j, p) in probabilities.enumerated() { append(j == 0 ? "\(p)" : ",\(p)") }
            append("]")
            if let k = request.top {
                let ranked = probabilities.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                append(",\"top\":[")
                for (rank, entry) in ranked.prefix(k).enumerated() {
                    append((rank == 0 ? "" : ",") + "{\"digit\":\(entry.offset),\"probability\":\(entry.element)}")
                }
                append("]")
            }
            if let input {
                append(",\"input\":[")
                for (i, v) in input.enumerated() { append(i == 0 ? "\(v)" : ",\(v)") }
                append("]")
            }
        }
        var id = ""
        JSONText.appendQuoted(answer.modelID, to: &id)
        if request.isBatch {
            append("{\"predictions\":[")
            for (i, probabilities) in answer.probabilities.enumerated() {
                if i > 0 { append(",") }
                prediction(probabilities, input: request.includeInput ? inputs[i] : nil)
                append("}")
            }
            append("],\"model\":\(id)}")
        } else {
            prediction(answer.probabilities[0], input: request.includeInput ? inputs[0] : nil)
            append(",\"model\":\(id)}")
        }
        return out
    }
}
