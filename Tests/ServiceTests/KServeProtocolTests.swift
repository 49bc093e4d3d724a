import Foundation
import Service
import TensorCore
import Testing
import TestSupport
import Training

/// The Open Inference Protocol (KServe v2) over real sockets: metadata, readiness, inference
/// with JSON tensors and with the binary tensor data extension, versions, and its errors.
@Suite("KServe v2 protocol")
struct KServeProtocolTests {
    /// A KServe inference request body: the JSON, then the binary section (if any), with the
    /// header that says where the JSON ends.
    static func infer(_ server: ServiceHarness, path: String = "/v2/models/mnist-cnn/infer", json: [String: Any],
                      binary: [UInt8] = []) throws -> RawHTTPResponse {
        let header = Array(try JSONSerialization.data(withJSONObject: json))
        var headers = [("Content-Type", binary.isEmpty ? "application/json" : "application/octet-stream")]
        if !binary.isEmpty { headers.append(("Inference-Header-Content-Length", "\(header.count)")) }
        return try server.connect().request(method: "POST", path: path, headers: headers, body: header + binary)
    }

    /// The JSON header of a response and its binary section.
    static func split(_ response: RawHTTPResponse) throws -> (json: [String: Any], binary: [UInt8]) {
        let length = try #require(Int(response.header("Inference-Header-Content-Length") ?? "\(response.body.count)"))
        let object = try JSONSerialization.jsonObject(with: Data(response.body.prefix(length)))
        return (try #require(object as? [String: Any]), Array(response.body.dropFirst(length)))
    }

    static func output(_ json: [String: Any], _ name: String) throws -> [String: Any] {
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        return try #require(outputs.first { $0["name"] as? String == name })
    }

    static func floats(_ bytes: ArraySlice<UInt8>) -> [Float] {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    static func argmax(_ values: ArraySlice<Float>) -> Int {
        values.indices.max { values[$0] < values[$1] }! - values.startIndex
    }

    /// An error in the protocol's shape: its `error` text, and the problem fields beside it.
    static func expectError(_ response: RawHTTPResponse, status: Int, containing text: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        let body = try response.jsonObject()
        let message = body["error"] as? String ?? ""
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        #expect(body["status"] as? Int == status && body["detail"] as? String == message, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/problem+json", sourceLocation: sourceLocation)
    }

    /// Server metadata lists the extension; model metadata gives the input and the outputs in
    /// order with -1 for the batch; unknown models and versions are 404 in the protocol's shape.
    @Test func metadataAndReadiness() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let info = try server.get("/v2").jsonObject()
        #expect(info["name"] as? String == "mnist-cnn")
        #expect(info["extensions"] as? [String] == ["binary_tensor_data"])
        for path in ["/v2/models/mnist-cnn", "/v2/models/mnist-cnn/versions/shipped"] {
            let metadata = try server.get(path).jsonObject()
            #expect(metadata["versions"] as? [String] == ["shipped"])
            let inputs = try #require(metadata["inputs"] as? [[String: Any]])
            #expect(inputs.count == 1 && inputs[0]["name"] as? String == "image" && inputs[0]["datatype"] as? String == "UINT8")
            #expect(inputs[0]["shape"] as? [Int] == [-1, 28, 28])
            let outputs = try #require(metadata["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == ["probabilities", "digit"])
            #expect(outputs.map { $0["datatype"] as? String } == ["FP32", "INT64"])
            #expect(outputs.map { $0["shape"] as? [Int] } == [[-1, 10], [-1]])
        }
        #expect(try server.get("/v2/models/mnist-cnn/ready").status == 200)
        #expect(try server.get("/v2/models/mnist-cnn/versions/shipped/ready").status == 200)
        #expect(try server.get("/v2/health/live").status == 200)
        #expect(try server.get("/v2/health/ready").status == 200)
        try Self.expectError(try server.get("/v2/models/resnet50"), status: 404, containing: "unknown model resnet50")
        try Self.expectError(try server.get("/v2/models/mnist-cnn/versions/7/ready"), status: 404, containing: "no version 7")
        try Self.expectError(try Self.infer(server, path: "/v2/models/mnist-cnn/versions/7/infer", json: [:]),
                             status: 404, containing: "no version 7")
    }

    /// JSON tensors in (nested UINT8 rows), JSON tensors out: ten real digits read right, the
    /// outputs in the documented order, the request id echoed.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func jsonTensors() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let digits = try TestDigits.oneOfEachClass()
        let rows = digits.map { digit in (0..<28).map { Array(digit.pixels[($0 * 28)..<($0 * 28 + 28)]) } }
        let response = try Self.infer(server, json: [
            "id": "request-1",
            "inputs": [["name": "image", "datatype": "UINT8", "shape": [10, 28, 28], "data": rows]],
        ])
        #expect(response.status == 200, "\(response.text)")
        #expect(response.header("Content-Type") == "application/json")
        let json = try response.jsonObject()
        #expect(json["model_name"] as? String == "mnist-cnn" && json["model_version"] as? String == "shipped")
        #expect(json["id"] as? String == "request-1")
        #expect((json["outputs"] as? [[String: Any]])?.map { $0["name"] as? String } == ["probabilities", "digit"])
        let probabilities = try Self.output(json, "probabilities")
        #expect(probabilities["datatype"] as? String == "FP32" && probabilities["shape"] as? [Int] == [10, 10])
        let values = try #require(probabilities["data"] as? [Double]).map(Float.init)
        let digit = try Self.output(json, "digit")
        #expect(digit["datatype"] as? String == "INT64" && digit["shape"] as? [Int] == [10])
        #expect(digit["data"] as? [Int] == digits.map(\.label))
        #expect((0..<10).map { Self.argmax(values[($0 * 10)..<($0 * 10 + 10)]) } == digits.map(\.label))
    }

    /// The binary tensor data extension as `tritonclient` uses it: UINT8 pixels after the JSON,
    /// probabilities asked for in binary (little-endian FP32 after the response's JSON), the
    /// digit in JSON; and FP32 [N, 784] input with `binary_data_output` for every output.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func binaryTensors() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let digits = try TestDigits.oneOfEachClass()
        let pixels = digits.flatMap(\.pixels)
        let response = try Self.infer(server, json: [
            "inputs": [["name": "image", "datatype": "UINT8", "shape": [10, 28, 28], "parameters": ["binary_data_size": 7840]]],
            "outputs": [["name": "probabilities", "parameters": ["binary_data": true]], ["name": "digit"]],
        ], binary: pixels)
        #expect(response.status == 200, "\(response.text.prefix(300))")
        #expect(response.header("Content-Type") == "application/octet-stream")
        let (json, binary) = try Self.split(response)
        let probabilities = try Self.output(json, "probabilities")
        #expect((probabilities["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 400)
        #expect(probabilities["data"] == nil && binary.count == 400)
        let values = Self.floats(binary[...])
        #expect((0..<10).map { Self.argmax(values[($0 * 10)..<($0 * 10 + 10)]) } == digits.map(\.label))
        #expect(try Self.output(json, "digit")["data"] as? [Int] == digits.map(\.label))

        var fp32: [UInt8] = []
        for byte in pixels { withUnsafeBytes(of: (Float(byte) / 255).bitPattern.littleEndian) { fp32.append(contentsOf: $0) } }
        let both = try Self.infer(server, json: [
            "parameters": ["binary_data_output": true],
            "inputs": [["name": "image", "datatype": "FP32", "shape": [10, 784], "parameters": ["binary_data_size": fp32.count]]],
        ], binary: fp32)
        #expect(both.status == 200, "\(both.text.prefix(300))")
        let (header, data) = try Self.split(both)
        #expect(try Self.output(header, "digit")["parameters"] as? [String: Int] == ["binary_data_size": 80])
        #expect(data.count == 400 + 80)
        let labels = stride(from: 400, to: 480, by: 8).map { Int(data[$0]) }
        #expect(labels == digits.map(\.label))
        #expect(Self.floats(data[0..<400]) == values, "FP32 0-1 input gives the same answer as the UINT8 bytes")
    }

    /// Only the outputs named are returned, in the order named.
    @Test func requestedOutputsOnly() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let response = try Self.infer(server, json: [
            "inputs": [["name": "image", "datatype": "UINT8", "shape": [28, 28], "data": [Int](repeating: 0, count: 784)]],
            "outputs": [["name": "digit"]],
        ])
        #expect(response.status == 200, "\(response.text)")
        let outputs = try #require(try response.jsonObject()["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["digit"] && outputs[0]["shape"] as? [Int] == [1])
    }

    /// Bad requests are 400 (413 over the image limit) with the reason, never a crash or a 5xx.
    @Test func badRequestsAreRefused() throws {
        let server = try ServiceHarness { $0.maxImagesPerRequest = 4 }
        defer { server.stop() }
        func input(_ fields: [String: Any]) -> [String: Any] {
            ["inputs": [["name": "image", "datatype": "UINT8", "shape": [1, 28, 28]].merging(fields) { $1 }]]
        }
        let zeros = [Int](repeating: 0, count: 784)
        let cases: [(String, [String: Any], [UInt8], Int, String)] = [
            ("no inputs", [:], [], 400, "inputs must be an array"),
            ("wrong input name", ["inputs": [["name": "x", "datatype": "UINT8", "shape": [784], "data": zeros]]], [], 400, "unknown input x"),
            ("wrong datatype", input(["datatype": "INT32", "data": zeros]), [], 400, "datatype INT32"),
            ("wrong shape", input(["shape": [1, 27, 27], "data": zeros]), [], 400, "not a batch of 28x28"),
            ("too few values", input(["data": [0, 1, 2]]), [], 400, "holds 3 values"),
            ("pixel out of range", input(["data": [Int](repeating: 256, count: 784)]), [], 400, "0...255"),
            ("FP32 out of range", input(["datatype": "FP32", "data": [Double](repeating: 2, count: 784)]), [], 400, "0...1"),
            ("unknown output", input(["data": zeros]).merging(["outputs": [["name": "logits"]]]) { $1 }, [], 400, "unknown output logits"),
            ("binary size mismatch", input(["parameters": ["binary_data_size": 100]]), [UInt8](repeating: 0, count: 100), 400, "needs 784 bytes"),
            ("binary data missing", input(["parameters": ["binary_data_size": 784]]), [1], 400, "fewer than binary_data_size"),
            ("stray binary data", input(["data": zeros]), [1, 2, 3], 400, "belong to no input"),
            ("over the image limit", input(["shape": [5, 28, 28], "data": [Int](repeating: 0, count: 5 * 784)]), [], 413, "at most 4"),
        ]
        for (name, json, binary, status, text) in cases {
            let response = try Self.infer(server, json: json, binary: binary)
            #expect(response.status == status, "\(name): \(response.text)")
            #expect((try? response.jsonObject()["error"] as? String)??.contains(text) == true, "\(name): \(response.text)")
        }
        let notJSON = try server.connect().request(method: "POST", path: "/v2/models/mnist-cnn/infer",
                                                   headers: [("Inference-Header-Content-Length", "99")], body: Array("{}".utf8))
        try Self.expectError(notJSON, status: 400, containing: "Inference-Header-Content-Length")
        try Self.expectError(try server.post("/v2/models/mnist-cnn/infer", contentType: "application/json", body: Array("[1".utf8)),
                             status: 400, containing: "not valid JSON")
    }

    /// Every registered model is a version: a request for one is answered by that model (its
    /// id in `model_version`, its own outputs), with or without it being active, and moving
    /// between versions loads each in turn.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func registeredModelsAreVersions() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let registry = server.app.registry!
        let (shipped, metadata) = try TrainedModel.read(from: try TestModel.requirePath(), threads: 1)
        _ = try registry.register(network: shipped, metadata: metadata, id: "model-copy", jobID: nil, createdAt: RFC3339Date(Date()))
        _ = try registry.register(network: try Network(architecture: .tiny, seed: 11), metadata: [:], id: "model-tiny",
                                  jobID: nil, createdAt: RFC3339Date(Date()))
        let versions = try #require(try server.get("/v2/models/mnist-cnn").jsonObject()["versions"] as? [String])
        #expect(Set(versions) == ["shipped", "model-copy", "model-tiny"])

        let digits = try TestDigits.oneOfEachClass()
        func ask(_ version: String?) throws -> (version: String?, probabilities: [Float]) {
            let path = version.map { "/v2/models/mnist-cnn/versions/\($0)/infer" } ?? "/v2/models/mnist-cnn/infer"
            let response = try Self.infer(server, path: path, json: [
                "inputs": [["name": "image", "datatype": "UINT8", "shape": [10, 28, 28], "parameters": ["binary_data_size": 7840]]],
                "parameters": ["binary_data_output": true],
            ], binary: digits.flatMap(\.pixels))
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let (json, binary) = try Self.split(response)
            return (json["model_version"] as? String, Self.floats(binary.prefix(400)))
        }
        let active = try ask(nil)
        #expect(active.version == "shipped")
        for _ in 0..<2 {
            let copy = try ask("model-copy")
            #expect(copy.version == "model-copy")
            #expect((0..<10).map { Self.argmax(copy.probabilities[($0 * 10)..<($0 * 10 + 10)]) } == digits.map(\.label))
            let tiny = try ask("model-tiny")
            #expect(tiny.version == "model-tiny" && tiny.probabilities != active.probabilities)
        }
        try registry.activate("model-tiny")
        #expect(try ask(nil).version == "model-tiny")
        let byVersion = try ask("shipped")
        #expect(byVersion.version == "shipped" && byVersion.probabilities == active.probabilities)
    }
}
