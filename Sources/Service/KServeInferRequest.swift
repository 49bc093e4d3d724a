import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Imaging
import JSON

/// The model as the Open Inference Protocol (KServe v2) describes it, and the one place its
/// tensor names, datatypes and shapes are spelled.
enum KServeModel {
    static let name = "mnist-cnn"
    static let inputName = "image"
    static let probabilitiesOutput = "probabilities"
    static let digitOutput = "digit"
    static let outputs = [probabilitiesOutput, digitOutput]
    /// The input's element types: `UINT8` pixels 0...255 (listed first, the metadata's
    /// `datatype`) or `FP32` 0...1; MNIST polarity (0 background).
    static let inputDatatypes = ["UINT8", "FP32"]
    /// Extensions of the protocol this server implements (`GET /v2`).
    static let extensions = ["binary_tensor_data"]
}

/// One `POST /v2/models/{name}[/versions/{version}]/infer` request, decoded: the images as the
/// network's input, which outputs to return and how.
///
/// The body is the JSON inference request, optionally followed by binary tensor data (the
/// binary tensor data extension): then `Inference-Header-Content-Length` gives the JSON's
/// length, and each binary input says its byte count in `parameters.binary_data_size`.
struct KServeInferRequest {
    struct RequestedOutput: Equatable {
        var name: String
        var binary: Bool
    }

    var id: String?
    /// count * 784 floats, 0...1.
    var pixels: [Float]
    var count: Int
    /// In the order to answer them.
    var outputs: [RequestedOutput]

    /// Shapes (after the batch dimension, when there is one) that hold one 28x28 image.
    private static let imageShapes: [[Int]] = [[28, 28], [784], [1, 28, 28], [28, 28, 1]]

    /// - Throws: `HTTPError`: 400 malformed, 413 over a limit (images, JSON values), 503 when
    ///   the memory budget is taken.
    static func parse(_ request: HTTPRequest, limits: TensorRequestLimits) throws -> KServeInferRequest {
        let maxImages = limits.configuration.maxImagesPerRequest
        let body = request.body
        var jsonLength = body.count
        if let header = request.headers["inference-header-content-length"] {
            guard let length = Int(header.trimmingWhitespace(newlines: false)), length >= 0, length <= body.count else {
                throw bad("Inference-Header-Content-Length \(header) is not a length within the \(body.count)-byte body")
            }
            jsonLength = length
        }
        guard jsonLength > 0 else { throw bad("the body holds no JSON inference request") }
        let parsing = try limits.reserveParsing(body[0..<jsonLength])
        defer { parsing.release() }
        let document: JSONDocument
        do {
            document = try JSONParser.parse(body[0..<jsonLength])
        } catch {
            throw bad("the inference request is not valid JSON")
        }
        guard let fields = document.object else { throw bad("the inference request must be a JSON object") }
        var binary = body[jsonLength...]

        var id: String?
        if let value = fields["id"] {
            guard let text = value.string else { throw bad("id must be a string") }
            id = text
        }
        let parameters = try objectField(fields["parameters"], "parameters") ?? [:]
        let binaryByDefault = try bool(parameters["binary_data_output"], "parameters.binary_data_output") ?? false

        guard let inputs = fields["inputs"]?.array else { throw bad("inputs must be an array of input tensors") }
        guard inputs.count == 1 else {
            throw bad("the model has one input, \(KServeModel.inputName); the request has \(inputs.count)")
        }
        guard let input = inputs[0].object else { throw bad("inputs[0] must be an object") }
        guard let name = input["name"]?.string else { throw bad("inputs[0].name must be a string") }
        guard name == KServeModel.inputName else {
            throw bad("unknown input \(name): the model's input is \(KServeModel.inputName)")
        }
        guard let datatype = input["datatype"]?.string else { throw bad("inputs[0].datatype must be a string") }
        guard KServeModel.inputDatatypes.contains(datatype) else {
            throw bad("input datatype \(datatype) is not accepted: send UINT8 (0-255) or FP32 (0-1)")
        }
        guard let shapeValues = input["shape"]?.array, !shapeValues.isEmpty else {
            throw bad("inputs[0].shape must be a non-empty array of dimensions")
        }
        let shape = try shapeValues.map { value -> Int in
            guard let dimension = value.int, dimension >= 0 else { throw bad("inputs[0].shape must hold non-negative integers") }
            return dimension
        }
        let count: Int
        if imageShapes.contains(shape) {
            count = 1
        } else if imageShapes.contains(Array(shape.dropFirst())) {
            count = shape[0]
        } else {
            throw bad("input shape \(shape) is not a batch of 28x28 images: use [N, 28, 28] (or [N, 784])")
        }
        guard count >= 1 else { throw HTTPError(status: 422, detail: "the input holds no images (batch dimension 0)") }
        guard count <= maxImages else {
            throw HTTPError(status: 413, detail: "the input holds \(count) images; at most \(maxImages) per request")
        }
        let elements = count * 784

        var pixels: [Float]
        let inputParameters = try objectField(input["parameters"], "inputs[0].parameters") ?? [:]
        if let size = inputParameters["binary_data_size"] {
            guard input["data"] == nil else { throw bad("inputs[0] has both data and binary_data_size") }
            guard let byteCount = size.int else {
                throw bad("binary_data_size must be an integer")
            }
            let expected = elements * (datatype == "UINT8" ? 1 : 4)
            guard byteCount == expected else {
                throw bad("binary_data_size is \(byteCount) but shape \(shape) of \(datatype) needs \(expected) bytes")
            }
            guard binary.count >= byteCount else {
                throw bad("the binary data holds \(binary.count) bytes, fewer than binary_data_size \(byteCount)")
            }
            pixels = try decodeBinary(binary.prefix(byteCount), datatype: datatype)
            binary = binary.dropFirst(byteCount)
        } else {
            guard let data = input["data"]?.array else {
                throw bad("inputs[0] needs data (an array) or parameters.binary_data_size")
            }
            pixels = []
            pixels.reserveCapacity(elements)
            try flatten(data, datatype: datatype, into: &pixels, limit: elements)
            guard pixels.count == elements else {
                throw bad("inputs[0].data holds \(pixels.count) values; shape \(shape) needs \(elements)")
            }
        }
        guard binary.isEmpty else {
            throw bad("\(binary.count) bytes of binary data after the JSON belong to no input (binary_data_size)")
        }

        var outputs: [RequestedOutput] = KServeModel.outputs.map { RequestedOutput(name: $0, binary: binaryByDefault) }
        if let requested = fields["outputs"] {
            guard let list = requested.array else { throw bad("outputs must be an array") }
            // An empty list names no output in particular: all of them, as when absent.
            if !list.isEmpty { outputs = try list.enumerated().map { index, value in
                guard let output = value.object, let name = output["name"]?.string else {
                    throw bad("outputs[\(index)] must be an object with a name")
                }
                guard KServeModel.outputs.contains(name) else {
                    throw bad("unknown output \(name): the model's outputs are \(KServeModel.outputs.joined(separator: ", "))")
                }
                let parameters = try objectField(output["parameters"], "outputs[\(index)].parameters") ?? [:]
                let binary = try bool(parameters["binary_data"], "outputs[\(index)].parameters.binary_data") ?? binaryByDefault
                return RequestedOutput(name: name, binary: binary)
            } }
        }
        return KServeInferRequest(id: id, pixels: pixels, count: count, outputs: outputs)
    }

    /// Little-endian UINT8 or FP32 elements, row-major (the extension's layout).
    private static func decodeBinary(_ bytes: ArraySlice<UInt8>, datatype: String) throws -> [Float] {
        if datatype == "UINT8" {
            return MNISTSample.pixels(fromBytes: bytes)
        }
        var pixels = [Float](repeating: 0, count: bytes.count / 4)
        bytes.withUnsafeBytes { raw in
            for i in 0..<pixels.count {
                pixels[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        for value in pixels where !(value >= 0 && value <= 1) {
            throw bad("FP32 pixels must be in 0...1 (found \(value))")
        }
        return pixels
    }

    /// JSON tensor data, flat or nested row-major, into floats; stops past `limit` values.
    private static func flatten(_ values: [JSONDocument], datatype: String, into pixels: inout [Float], limit: Int) throws {
        for value in values {
            if case .array(let nested) = value {
                try flatten(nested, datatype: datatype, into: &pixels, limit: limit)
                continue
            }
            guard let double = value.double else {
                throw bad("inputs[0].data must hold numbers")
            }
            if datatype == "UINT8" {
                guard let byte = UInt8(exactly: double) else { throw bad("UINT8 pixels must be integers 0...255 (found \(double))") }
                pixels.append(Float(byte) / 255)
            } else {
                guard double >= 0 && double <= 1 else { throw bad("FP32 pixels must be in 0...1 (found \(double))") }
                pixels.append(Float(double))
            }
            if pixels.count > limit { return }
        }
    }

    private static func objectField(_ value: JSONDocument?, _ field: String) throws -> [String: JSONDocument]? {
        guard let value else { return nil }
        guard let object = value.object else { throw bad("\(field) must be an object") }
        return object
    }

    private static func bool(_ value: JSONDocument?, _ field: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value.bool else { throw bad("\(field) must be true or false") }
        return flag
    }

    private static func bad(_ message: String) -> HTTPError { HTTPError(status: 400, detail: message) }
}

/// The inference response: JSON outputs, or the JSON header followed by binary tensor data
/// for the outputs asked for in binary.
enum KServeInferResponse {
    static func render(_ answer: InferenceBatcher.Answer, request: KServeInferRequest) -> HTTPResponse {
        var json = "{\"model_name\":\"\(KServeModel.name)\",\"model_version\":"
        JSONText.appendQuoted(answer.modelID, to: &json)
        if let id = request.id {
            json += ",\"id\":"
            JSONText.appendQuoted(id, to: &json)
        }
        json += ",\"outputs\":["
        var binary: [UInt8] = []
        let count = answer.probabilities.count
        for (index, output) in request.outputs.enumerated() {
            if index > 0 { json += "," }
            json += "{\"name\":\"\(output.name)\","
            if output.name == KServeModel.probabilitiesOutput {
                json += "\"datatype\":\"FP32\",\"shape\":[\(count),10],"
                if output.binary {
                    json += "\"parameters\":{\"binary_data_size\":\(count * 10 * 4)}}"
                    for row in answer.probabilities {
                        for p in row { withUnsafeBytes(of: p.bitPattern.littleEndian) { binary.append(contentsOf: $0) } }
                    }
                } else {
                    json += "\"data\":["
                    var first = true
                    for row in answer.probabilities {
                        for p in row {
                            json += first ? "\(p)" : ",\(p)"
                            first = false
                        }
                    }
                    json += "]}"
                }
            } else {
                let digits = answer.probabilities.map(Self.argmax)
                json += "\"datatype\":\"INT64\",\"shape\":[\(count)],"
                if output.binary {
                    json += "\"parameters\":{\"binary_data_size\":\(count * 8)}}"
                    for digit in digits { withUnsafeBytes(of: Int64(digit).littleEndian) { binary.append(contentsOf: $0) } }
                } else {
                    json += "\"data\":[" + digits.map(String.init).joined(separator: ",") + "]}"
                }
            }
        }
        json += "]}"
        let header = Array(json.utf8)
        if request.outputs.contains(where: \.binary) {
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream",
                                                       "Inference-Header-Content-Length": "\(header.count)"],
                                body: header + binary)
        }
        return .json(200, header)
    }

    static func argmax(_ probabilities: [Float]) -> Int {
        var best = 0
        for j in 1..<probabilities.count where probabilities[j] > probabilities[best] { best = j }
        return best
    }
}
