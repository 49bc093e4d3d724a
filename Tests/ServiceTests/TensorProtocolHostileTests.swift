import Foundation
import Imaging
import Service
import Testing
import TestSupport

/// The tensor protocols (KServe v2, TF Serving) under `/predict`'s limits: the same hostile
/// bodies are refused before anything is materialized or decoded, and the server keeps serving.
@Suite struct TensorProtocolHostileTests {
    static let kserve = "/v2/models/mnist-cnn/infer"
    static let tfServing = "/v1/models/mnist-cnn:predict"

    /// A KServe tensor of two million numbers is refused by the shape scan (413), before
    /// Foundation's parser would build two million objects.
    @Test func hugeTensorIsRefusedBeforeParsing() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let body = Array("{\"inputs\":[{\"name\":\"image\",\"datatype\":\"UINT8\",\"shape\":[2551,28,28],\"data\":[".utf8)
            + Array(repeating: Array("0,".utf8), count: 1_999_999).flatMap { $0 } + Array("0]}]}".utf8)
        let response = try service.post(Self.kserve, contentType: "application/json", body: body)
        #expect(response.status == 413, "\(response.text)")
        #expect(response.text.contains("at most 256 images"), "\(response.text)")
        #expect(service.app.memoryBudget.refusedCount == 0, "refused before asking the budget")
        #expect(try service.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels).status == 200)
    }

    /// 100,000 levels of nesting in a TF Serving body: 400 before a recursive parser runs.
    @Test func deepNestingIsRefusedBeforeParsing() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let body = Array("{\"instances\":".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
            + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000) + Array("}".utf8)
        let response = try service.post(Self.tfServing, contentType: "application/json", body: body)
        #expect(response.status == 400, "\(response.text)")
        #expect(response.text.contains("16 levels"), "\(response.text)")
    }

    /// Eight TF Serving `b64` PNG bombs (each a 2 KB file declaring 4096x4096) declare more
    /// pixels than a request may: 413 from their headers, before any is inflated.
    @Test func pngBombInstancesAreRefusedFromTheirHeaders() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let bomb = Base64.encode(HostilePNG.declaredBomb)
        let body = DigitEncoding.json(["instances": [[String: String]](repeating: ["b64": bomb], count: 8)])
        let response = try service.post(Self.tfServing, contentType: "application/json", body: body)
        #expect(response.status == 413, "\(response.text)")
        #expect(response.text.contains("pixels"), "\(response.text)")
        #expect(service.app.memoryBudget.usedBytes == 0)
    }

    /// A body over `/predict`'s limit is refused from its declared length, before it is read.
    @Test func bodyOverThePredictLimitIsRefusedOnTheHead() throws {
        let service = try ServiceHarness { $0.maxPredictBodyBytes = 4096 }
        defer { service.stop() }
        let response = try service.post(Self.kserve, contentType: "application/json",
                                        body: [UInt8](repeating: UInt8(ascii: " "), count: 8192))
        #expect(response.status == 413, "\(response.text)")
    }
}
