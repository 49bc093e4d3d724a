#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Imaging
import TensorCore
import Platform

/// `POST /predict`: parse the body into encoded images and read their headers; reserve, in
/// the memory budget, what decoding them will hold; decode and normalize them one at a time
/// (on the network thread when they are small, on low-priority `DecodeWorkers` when they
/// declare many pixels); and hand the batch to the batcher. The response goes out from the
/// inference thread when the batch is done, or, for a lone image the idle batcher runs inline
/// because its event loop has nothing else ready, straight from the network thread.
struct PredictRoutes {
    let batcher: InferenceBatcher
    let configuration: ServiceConfiguration
    let readiness: Readiness
    let metrics: ServiceMetrics
    let budget: MemoryBudget

    /// Bodies above this are parsed off the event loop: parsing and base64-decoding cost time
    /// in proportion to the body.
    static let inlineParseBytes = 64 << 10
    /// Requests whose images declare more pixels than this together are decoded off the event
    /// loop, so one large image (however small its file) cannot stall the other connections
    /// of its loop. 65,536 pixels decode and normalize in well under a millisecond.
    static let inlineDecodePixels = 256 * 256
    /// Shared by every service in the process (tests start several) and by the tensor
    /// protocols' routes, as a dispatch queue would be.
    static let decodeWorkers = DecodeWorkers(threads: CPUBudget.cores, maxPending: 1024)

    /// What `PredictRequest.parse` checks, from the configuration.
    var limits: PredictRequest.Limits {
        PredictRequest.Limits(decode: configuration.decodeLimits, maxImages: configuration.maxImagesPerRequest,
                              maxPixels: configuration.maxPixelsPerRequest,
                              json: JSONShape(maxDepth: 16, maxValues: 4 * configuration.maxImagesPerRequest + 64))
    }

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
            if request.body.count <= Self.inlineParseBytes {
                guard let parsed = parse(request, responder) else { return }
                if parsed.request.declaredPixels <= Self.inlineDecodePixels {
                    decodeAndSubmit(parsed, responder)
                } else {
                    offload(responder) { decodeAndSubmit(parsed, responder) }
                }
            } else {
                offload(responder) {
                    guard let parsed = parse(request, responder) else { return }
                    decodeAndSubmit(parsed, responder)
                }
            }
        }
    }

    /// Runs `work` on the decode workers, or answers 503 when their backlog is full.
    private func offload(_ responder: HTTPResponder, _ work: @escaping @Sendable () -> Void) {
        guard let refusal = Self.offload(work) else { return }
        responder.send(refusal.response)
    }

    /// Runs `work` on the decode workers; the refusal to answer when their backlog is full.
    static func offload(_ work: @escaping @Sendable () -> Void) -> HTTPError? {
        guard decodeWorkers.submit(work) else {
            return HTTPError(status: 503, title: "Server busy",
                             detail: "\(decodeWorkers.maxPending) large requests are already waiting to be decoded; retry shortly",
                             headers: ["Retry-After": "1"])
        }
        return nil
    }

    /// A parsed request and the budget its parsing holds (its materialized payloads). A class,
    /// so that every holder shares one copy of the payloads and taking one out frees it.
    /// Unchecked `Sendable`: it is handed to a worker whole, and only that one thread reads or
    /// takes its payloads after the handoff.
    final class Parsed: @unchecked Sendable {
        private(set) var request: PredictRequest
        let reservation: MemoryReservation

        init(request: PredictRequest, reservation: MemoryReservation) {
            self.request = request
            self.reservation = reservation
        }

        /// Image `index`'s payload, its bytes left empty here so they are freed once the
        /// caller's copy is dropped.
        func takePayload(_ index: Int) -> PredictRequest.Payload {
            let payload = request.payloads[index]
            request.payloads[index].bytes = []
            return payload
        }
    }

    /// The request's encoded images and headers, or nil once an error has been answered.
    private func parse(_ request: HTTPRequest, _ responder: HTTPResponder) -> Parsed? {
        do {
            let reservation = try budget.reserveForRequest(PredictRequest.materializingBytes(request), for: "parsing the body")
            return Parsed(request: try PredictRequest.parse(request, limits: limits), reservation: reservation)
        } catch let error as HTTPError {
            responder.send(error.response)
        } catch {
            responder.send(.problem(status: 400, detail: "\(error)"))
        }
        return nil
    }

    /// Decodes and normalizes the images one at a time, under one reservation: the batch's
    /// network input plus the largest single decode, so at most one full-size image is alive.
    private func decodeAndSubmit(_ parsed: Parsed, _ responder: HTTPResponder) {
        var answerRequest = parsed.request
        answerRequest.payloads = []
        let count = parsed.request.payloads.count
        let inputBytes = count * MNISTNormalizer.side * MNISTNormalizer.side
            * (MemoryLayout<Float>.size + (answerRequest.includeInput ? 1 : 0))
        let largestDecode = parsed.request.payloads.map(\.header.decodingBytes).max() ?? 0
        var pixels: [Float] = []
        var inputs: [[UInt8]] = []
        let reservation: MemoryReservation
        do {
            reservation = try budget.reserveForRequest(inputBytes + largestDecode, for: "decoding \(count) image\(count == 1 ? "" : "s")")
            let normalizer = MNISTNormalizer(mode: answerRequest.normalize)
            pixels.reserveCapacity(count * MNISTNormalizer.side * MNISTNormalizer.side)
            for index in 0..<count {
                let payload = parsed.takePayload(index)
                do {
                    let sample = try normalizer.normalize(ImageDecoder.decode(payload.bytes, format: payload.format,
                                                                              limits: configuration.decodeLimits))
                    pixels.append(contentsOf: sample.pixels)
                    if answerRequest.includeInput { inputs.append(sample.bytes) }
                } catch let error as ImageError {
                    throw PredictRequest.problem(for: error, index: answerRequest.isBatch ? index : nil)
                }
            }
        } catch let error as HTTPError {
            responder.send(error.response)
            return
        } catch {
            responder.send(.problem(status: 400, detail: "\(error)"))
            return
        }
        // Only the network input stays until the answer is written.
        reservation.shrink(to: inputBytes)
        parsed.reservation.release()
        let normalizedInputs = inputs
        let renderedRequest = answerRequest
        batcher.submit(images: pixels, count: count, inlineWhenIdle: responder.loopIsOtherwiseIdle) { result in
            defer { reservation.release() }
            switch result {
            case .success(let answer):
                responder.send(.json(200, Self.render(answer, request: renderedRequest, inputs: normalizedInputs, metrics: metrics)))
            case .failure(.overloaded):
                responder.send(.problem(status: 429, title: "Queue full",
                                        detail: "the inference queue is full; retry shortly", headers: ["Retry-After": "1"]))
            case .failure(.noModel), .failure(.stopped):
                responder.send(.problem(status: 503, title: "Not ready", detail: "no model is serving right now",
                                        headers: ["Retry-After": "1"]))
            }
        }
    }

    /// The contract's JSON, written by hand straight into bytes: this is the hot path, and
    /// the shape is fixed. Numbers render exactly as string interpolation would.
    static func render(_ answer: InferenceBatcher.Answer, request: PredictRequest, inputs: [[UInt8]],
                       metrics: ServiceMetrics) -> [UInt8] {
        var out = JSONBytes(capacity: 256 * answer.probabilities.count + (request.includeInput ? 4000 : 0))
        func prediction(_ probabilities: [Float], input: [UInt8]?) {
            var best = 0
            for j in 1..<probabilities.count where probabilities[j] > probabilities[best] { best = j }
            metrics.recordPrediction(digit: best)
            out.append("{\"digit\":")
            out.append(best)
            out.append(",\"confidence\":")
            out.append(probabilities[best])
            out.append(",\"probabilities\":[")
            for (j, p) in probabilities.enumerated() {
                if j > 0 { out.append(",") }
                out.append(p)
            }
            out.append("]")
            if let k = request.top {
                let ranked = probabilities.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                out.append(",\"top\":[")
                for (rank, entry) in ranked.prefix(k).enumerated() {
                    out.append(rank == 0 ? "{\"digit\":" : ",{\"digit\":")
                    out.append(entry.offset)
                    out.append(",\"probability\":")
                    out.append(entry.element)
                    out.append("}")
                }
                out.append("]")
            }
            if let input {
                out.append(",\"input\":[")
                for (i, v) in input.enumerated() {
                    if i > 0 { out.append(",") }
                    out.append(Int(v))
                }
                out.append("]")
            }
        }
        if request.isBatch {
            out.append("{\"predictions\":[")
            for (i, probabilities) in answer.probabilities.enumerated() {
                if i > 0 { out.append(",") }
                prediction(probabilities, input: request.includeInput ? inputs[i] : nil)
                out.append("}")
            }
            out.append("],\"model\":")
        } else {
            prediction(answer.probabilities[0], input: request.includeInput ? inputs[0] : nil)
            out.append(",\"model\":")
        }
        out.appendQuoted(answer.modelID)
        out.append("}")
        return out.bytes
    }
}
