import Foundation
import Imaging
import Testing
import TestSupport

/// TF Serving's REST API with the request shapes its documentation gives: model status,
/// metadata, and `:predict` in the row (`instances`) and columnar (`inputs`) formats, with
/// nested 0–1 float lists and `{"b64": ...}` images; answers checked for shape and digits.
@Suite("TF Serving protocol")
struct TFServingProtocolTests {
    static func predict(_ server: ServiceHarness, _ json: Any, path: String = "/v1/models/mnist-cnn:predict") throws -> RawHTTPResponse {
        try server.post(path, contentType: "application/json", body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    /// 28 rows of 28 floats in 0...1: TF Serving's usual MNIST instance.
    static func rows(_ digit: TestDigit) -> [[Double]] {
        (0..<28).map { row in digit.pixels[(row * 28)..<(row * 28 + 28)].map { Double($0) / 255 } }
    }

    /// The digits a `predictions` / `outputs` list reads, after checking each entry is 10
    /// probabilities.
    static func digits(_ response: RawHTTPResponse, key: String, count: Int,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int] {
        #expect(response.status == 200, "\(response.text.prefix(300))", sourceLocation: sourceLocation)
        let body = try response.jsonObject()
        #expect(Array(body.keys) == [key], sourceLocation: sourceLocation)
        let lists = try #require(body[key] as? [[Double]], sourceLocation: sourceLocation)
        #expect(lists.count == count && lists.allSatisfy { $0.count == 10 }, sourceLocation: sourceLocation)
        for list in lists { #expect(abs(list.reduce(0, +) - 1) < 1e-3, sourceLocation: sourceLocation) }
        return lists.map { list in list.indices.max { list[$0] < list[$1] }! }
    }

    /// Model status and metadata as TF Serving answers them.
    @Test func statusAndMetadata() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        for path in ["/v1/models/mnist-cnn", "/v1/models/mnist-cnn/versions/shipped"] {
            let status = try #require(try server.get(path).jsonObject()["model_version_status"] as? [[String: Any]])
            #expect(status.count == 1 && status[0]["version"] as? String == "shipped" && status[0]["state"] as? String == "AVAILABLE")
            #expect(status[0]["status"] as? [String: String] == ["error_code": "OK", "error_message": ""])
        }
        let metadata = try server.get("/v1/models/mnist-cnn/metadata").jsonObject()
        #expect((metadata["model_spec"] as? [String: String])?["version"] == "shipped")
        let signatures = ((metadata["metadata"] as? [String: Any])?["signature_def"] as? [String: Any])?["signature_def"] as? [String: Any]
        let signature = try #require(signatures?["serving_default"] as? [String: Any])
        #expect((signature["inputs"] as? [String: Any])?.keys.sorted() == ["image"])
        #expect((signature["outputs"] as? [String: Any])?.keys.sorted() == ["probabilities"])
        let missing = try server.get("/v1/models/inception")
        let missingError = try missing.jsonObject()["error"] as? String
        #expect(missing.status == 404 && missingError?.contains("Servable not found") == true)
        #expect(try server.get("/v1/models/mnist-cnn/versions/42").status == 404)
    }

    /// The row format: nested 28x28 lists of 0-1 floats, named or not, and base64 images.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func rowFormat() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let digits = try TestDigits.oneOfEachClass()
        let labels = digits.map(\.label)
        #expect(try Self.digits(try Self.predict(server, ["instances": digits.map(Self.rows)]), key: "predictions", count: 10) == labels)
        #expect(try Self.digits(try Self.predict(server, ["signature_name": "serving_default",
                                                          "instances": digits.map { ["image": Self.rows($0)] }]),
                                key: "predictions", count: 10) == labels)
        let flat = digits.map { $0.pixels.map { Double($0) / 255 } }
        #expect(try Self.digits(try Self.predict(server, ["instances": flat], path: "/v1/models/mnist-cnn/versions/shipped:predict"),
                                key: "predictions", count: 10) == labels)
        let pngs = try digits.map { ["b64": Base64.encode(try PNGEncoder.encodeGray8(width: 28, height: 28, pixels: $0.pixels))] }
        #expect(try Self.digits(try Self.predict(server, ["instances": pngs]), key: "predictions", count: 10) == labels)
    }

    /// The columnar format: the batch as one tensor, bare or named; answered as `outputs`.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func columnarFormat() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let digits = try TestDigits.oneOfEachClass()
        let labels = digits.map(\.label)
        #expect(try Self.digits(try Self.predict(server, ["inputs": digits.map(Self.rows)]), key: "outputs", count: 10) == labels)
        #expect(try Self.digits(try Self.predict(server, ["inputs": ["image": digits.map(Self.rows)]]), key: "outputs", count: 10) == labels)
        let raw = ["b64": Base64.encode(digits[3].pixels)]
        #expect(try Self.digits(try Self.predict(server, ["inputs": raw]), key: "outputs", count: 1) == [labels[3]])
    }

    /// Mistakes answer 400 (404 for another model, 413 over the limit) with TF Serving's
    /// `error`.
    @Test func errors() throws {
        let server = try ServiceHarness { $0.maxImagesPerRequest = 2 }
        defer { server.stop() }
        let blank = [[Double]](repeating: [Double](repeating: 0, count: 28), count: 28)
        let cases: [(Any, String, Int, String)] = [
            (["instances": [blank]], "/v1/models/mnist-cnn:classify", 400, "not :classify"),
            (["instances": [blank]], "/v1/models/other:predict", 404, "Servable not found"),
            (["instances": [blank], "inputs": [blank]], "/v1/models/mnist-cnn:predict", 400, "not both"),
            (["examples": [blank]], "/v1/models/mnist-cnn:predict", 400, "missing \"instances\""),
            (["instances": [[[Double]](repeating: [Double](repeating: 3, count: 28), count: 28)]], "/v1/models/mnist-cnn:predict", 400, "0-1"),
            (["instances": [[0.1, 0.2, 0.3]]], "/v1/models/mnist-cnn:predict", 400, "needs 784"),
            (["instances": [["b64": "!!"]]], "/v1/models/mnist-cnn:predict", 400, "instance 0"),
            (["instances": [blank, blank, blank]], "/v1/models/mnist-cnn:predict", 413, "at most 2"),
            (["instances": [blank], "signature_name": "classify"], "/v1/models/mnist-cnn:predict", 400, "signature_name"),
        ]
        for (json, path, status, text) in cases {
            let response = try Self.predict(server, json, path: path)
            #expect(response.status == status, "\(path) \(json): \(response.text)")
            #expect((try? response.jsonObject()["error"] as? String)??.contains(text) == true, "\(path): \(response.text)")
        }
    }
}

extension TFServingProtocolTests {
    /// `OPTIONS` names each path's own methods though status and `:predict` share a template.
    @Test func optionsListTheMethodsOfEachPath() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let cases = ["/v1/models/mnist-cnn": "GET, HEAD, OPTIONS", "/v1/models/mnist-cnn:predict": "OPTIONS, POST",
                     "/v1/models/mnist-cnn/versions/shipped": "GET, HEAD, OPTIONS",
                     "/v1/models/mnist-cnn/versions/shipped:predict": "OPTIONS, POST"]
        for (path, allow) in cases {
            let response = try server.connect().request(method: "OPTIONS", path: path)
            #expect(response.status == 204 && response.header("Allow") == allow, "\(path): \(response.header("Allow") ?? "-")")
        }
    }

    /// GET of a `:predict` path is the wrong method even with the body a POST would carry:
    /// 405, decided on the head before the status route's "no body" limit could answer 413.
    @Test func getWithABodyOnPredictIsMethodNotAllowed() throws {
        let server = try ServiceHarness()
        defer { server.stop() }
        let response = try server.connect().request(method: "GET", path: "/v1/models/mnist-cnn:predict",
                                                    headers: [("Content-Type", "application/json")],
                                                    body: Array("{\"instances\": []}".utf8))
        #expect(response.status == 405, "\(response.text)")
    }
}
