#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Imaging
import JSON

/// A TF Serving `:predict` body turned into network input: the row format
/// (`{"instances": [...]}`) or the columnar one (`{"inputs": ...}`), each instance a nested
/// 28x28 (or flat 784) list of 0–1 floats, a `{"b64": "..."}` image (PNG, PGM or 784 raw
/// bytes, brought to MNIST form like `/predict`'s images), or either one named by the input
/// (`{"image": ...}`).
struct TFServingPredictRequest {
    enum Format {
        /// `instances` in, `predictions` out.
        case row
        /// `inputs` in, `outputs` out.
        case columnar
    }

    var format: Format
    /// count * 784 floats, 0...1.
    var pixels: [Float]
    var count: Int

    static let inputName = "image"

    /// - Throws: `HTTPError`: 400 malformed, 413 over a limit (images, JSON values, pixels),
    ///   422 unusable, 503 when the memory budget is taken.
    static func parse(_ body: [UInt8], limits: TensorRequestLimits) throws -> TFServingPredictRequest {
        let maxImages = limits.configuration.maxImagesPerRequest
        let parsing = try limits.reserveParsing(body)
        defer { parsing.release() }
        let document: JSONDocument
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw bad("the body is not valid JSON")
        }
        guard let fields = document.object else {
            throw bad("the body must be a JSON object with \"instances\" (row format) or \"inputs\" (columnar format)")
        }
        if let signature = fields["signature_name"] {
            guard let name = signature.string, name.isEmpty || name == "serving_default" else {
                throw bad("unknown signature_name: the model has one signature, serving_default")
            }
        }
        let format: Format
        var instances: [JSONDocument]
        switch (fields["instances"], fields["inputs"]) {
        case (let value?, nil):
            format = .row
            guard let list = value.array else { throw bad("instances must be a list") }
            instances = list
        case (nil, let value?):
            format = .columnar
            var tensor = value
            if let named = value.object, named["b64"] == nil {
                guard named.count == 1, let image = named[inputName] else {
                    throw bad("the model has one input, \(inputName); inputs names \(named.keys.sorted())")
                }
                tensor = image
            }
            // A lone {"b64": ...} is a batch of one; otherwise the first dimension is the batch.
            if let list = tensor.array { instances = list } else { instances = [tensor] }
        case (nil, nil):
            throw bad("missing \"instances\" (row format) or \"inputs\" (columnar format)")
        case (_?, _?):
            throw bad("give \"instances\" or \"inputs\", not both")
        }
        guard !instances.isEmpty else { throw HTTPError(status: 422, detail: "the request lists no instances") }
        guard instances.count <= maxImages else {
            throw HTTPError(status: 413, detail: "the request holds \(instances.count) instances; at most \(maxImages) per request")
        }
        // Every image's header is read, and the request's pixels counted, before any is decoded.
        let prepared = try instances.enumerated().map { index, instance in try prepare(instance, index: index, limits: limits) }
        try limits.checkPixels(prepared.reduce(0) { total, instance in
            if case .image(_, _, let header) = instance { return total + header.pixels }
            return total
        })
        var pixels: [Float] = []
        pixels.reserveCapacity(instances.count * 784)
        for (index, instance) in prepared.enumerated() {
            switch instance {
            case .pixels(let values): pixels += values
            case let .image(bytes, format, header):
                pixels += try limits.decode(bytes, format: format, header: header, index: index)
            }
        }
        return TFServingPredictRequest(format: format, pixels: pixels, count: instances.count)
    }

    /// An instance as read from the JSON: its 784 pixels, or an encoded image and its header.
    private enum PreparedInstance {
        case pixels([Float])
        case image([UInt8], ImageFormat?, ImageHeader)
    }

    private static func prepare(_ instance: JSONDocument, index: Int, limits: TensorRequestLimits) throws -> PreparedInstance {
        var value = instance
        if let named = value.object, named["b64"] == nil {
            guard named.count == 1, let image = named[inputName] else {
                throw bad("instance \(index): the model has one input, \(inputName)")
            }
            value = image
        }
        if let encoded = value.object {
            guard encoded.count == 1, let text = encoded["b64"]?.string else {
                throw bad("instance \(index): a binary value is {\"b64\": \"<base64>\"}")
            }
            let payload: Base64Payload
            do {
                payload = try Base64.decodePayload(Array(text.utf8))
            } catch let error as ImageError {
                throw bad("instance \(index): \(error.description)")
            }
            let format = payload.mediaType.flatMap { ImageFormat(mediaType: $0) }
            return .image(payload.bytes, format, try limits.peek(payload.bytes, format: format, index: index))
        }
        guard let list = value.array else {
            throw bad("instance \(index) must be a 28x28 list of numbers in 0-1 or {\"b64\": \"...\"}")
        }
        var pixels: [Float] = []
        pixels.reserveCapacity(784)
        try flatten(list, index: index, into: &pixels)
        guard pixels.count == 784 else {
            throw bad("instance \(index) holds \(pixels.count) values; a 28x28 image needs 784")
        }
        return .pixels(pixels)
    }

    private static func flatten(_ values: [JSONDocument], index: Int, into pixels: inout [Float]) throws {
        for value in values {
            if case .array(let nested) = value {
                try flatten(nested, index: index, into: &pixels)
            } else {
                guard let double = value.double else {
                    throw bad("instance \(index): pixels must be numbers in 0-1")
                }
                guard double >= 0 && double <= 1 else {
                    throw bad("instance \(index): pixels must be in 0-1 (found \(double)); scale 0-255 values by 1/255")
                }
                pixels.append(Float(double))
            }
            if pixels.count > 784 { return }
        }
    }

    private static func bad(_ message: String) -> HTTPError { HTTPError(status: 400, detail: message) }

    /// TF Serving's answer for a single-output model: the 10 probabilities per instance, under
    /// `predictions` (row) or `outputs` (columnar).
    static func render(_ probabilities: [[Float]], format: Format) -> [UInt8] {
        var json = format == .row ? "{\"predictions\":[" : "{\"outputs\":["
        for (i, row) in probabilities.enumerated() {
            json += i == 0 ? "[" : ",["
            for (j, p) in row.enumerated() { json += j == 0 ? "\(p)" : ",\(p)" }
            json += "]"
        }
        json += "]}"
        return Array(json.utf8)
    }
}
