import Foundation
import Imaging
import Testing
import TestSupport

/// A request `/predict` must refuse, and the 4xx it must refuse it with.
struct BadPredictRequest: Sendable, CustomTestStringConvertible {
    let name: String
    var method = "POST"
    var path = "/predict"
    let contentType: String?
    let body: [UInt8]
    /// The exact status: the contract's, and for hostile PNGs the service's mapping (dimensions
    /// or raster size over `DecodeLimits` are 413, refused before inflating; an IDAT that
    /// inflates past what IHDR promises is a malformed 400, stopped at that size).
    let status: Int
    /// A word the problem's `detail` must contain: it says what was wrong.
    var mentions: String? = nil
    /// False to send the request with no body and no `Content-Length`, as `curl -X POST` does.
    var framed = true

    var testDescription: String { name }

    /// An ordinary digit-like image for the cases that need a valid file: a vertical stroke.
    static let strokePixels: [UInt8] = (0..<784).map { index in
        (4...23).contains(index / 28) && (12...15).contains(index % 28) ? 255 : 0
    }
    static let strokePNG = try! PNGEncoder.encodeGray8(width: 28, height: 28, pixels: strokePixels)

    static let all: [BadPredictRequest] = {
        let png = strokePNG
        let chunks = HostilePNG.chunks(of: png)
        var badCRC = png
        badCRC[8 + 8 + 13] ^= 0xFF // the first byte of IHDR's CRC
        let badZlib = chunks.map { chunk in
            // A zlib header, then a block of the reserved type 11 (RFC 1951 §3.2.3): invalid.
            chunk.type == "IDAT" ? HostilePNG.Chunk(type: "IDAT", data: [0x78, 0x9C, 0x07, 0x00, 0x00, 0x00]) : chunk
        }
        let tinyIDAT = HostilePNG.Chunk(type: "IDAT", data: HostilePNG.zlibOfZeros(count: 1 + 258 * 4))
        let end = HostilePNG.Chunk(type: "IEND", data: [])
        let json = "application/json"
        return [
            BadPredictRequest(name: "no body at all", contentType: "image/png", body: [], status: 411,
                              mentions: "Content-Length", framed: false),
            BadPredictRequest(name: "empty body", contentType: "application/octet-stream", body: [], status: 422, mentions: "empty"),
            BadPredictRequest(name: "783 raw bytes", contentType: "application/octet-stream",
                              body: Array(strokePixels.dropLast()), status: 422, mentions: "784"),
            BadPredictRequest(name: "truncated PNG", contentType: "image/png", body: Array(png.prefix(png.count / 2)),
                              status: 400, mentions: "truncated"),
            BadPredictRequest(name: "PNG with a bad CRC", contentType: "image/png", body: badCRC, status: 400, mentions: "CRC"),
            BadPredictRequest(name: "PNG with a corrupt zlib stream", contentType: "image/png",
                              body: HostilePNG.file(badZlib), status: 400, mentions: "zlib"),
            BadPredictRequest(name: "PNG claiming 100000x100000 pixels", contentType: "image/png",
                              body: HostilePNG.file([HostilePNG.header(width: 100_000, height: 100_000, bitDepth: 8, colorType: 0),
                                                     tinyIDAT, end]), status: 413, mentions: "100000x100000"),
            BadPredictRequest(name: "PNG claiming 4096x4096 RGBA 16-bit (128 MiB raster)", contentType: "image/png",
                              body: HostilePNG.file([HostilePNG.header(width: 4096, height: 4096, bitDepth: 16, colorType: 6),
                                                     tinyIDAT, end]), status: 413),
            BadPredictRequest(name: "PNG bomb: 28x28 whose IDAT inflates to 16 MiB", contentType: "image/png",
                              body: HostilePNG.file([HostilePNG.header(width: 28, height: 28, bitDepth: 8, colorType: 0),
                                                     HostilePNG.Chunk(type: "IDAT",
                                                                      data: HostilePNG.zlibOfZeros(count: 1 + 258 * 65_000)),
                                                     end]), status: 400, mentions: "inflates past"),
            BadPredictRequest(name: "0x0 PGM", contentType: DigitEncoding.pgm, body: Array("P5\n0 0\n255\n".utf8),
                              status: 422, mentions: "0x0"),
            BadPredictRequest(name: "bad base64 in JSON", contentType: json, body: Array(#"{"image": "***not base64***"}"#.utf8),
                              status: 400),
            BadPredictRequest(name: "bad base64 as text/plain", contentType: "text/plain", body: Array("%%%%".utf8), status: 400),
            BadPredictRequest(name: "JSON that does not parse", contentType: json, body: Array(#"{"image": "#.utf8), status: 400),
            BadPredictRequest(name: "JSON not an object", contentType: json, body: Array("[1, 2, 3]".utf8), status: 400),
            BadPredictRequest(name: "JSON without image, images or instances", contentType: json,
                              body: Array(#"{"picture": "AAAA"}"#.utf8), status: 400),
            BadPredictRequest(name: "JSON image that is not a string", contentType: json, body: Array(#"{"image": 7}"#.utf8),
                              status: 400),
            BadPredictRequest(name: "257 images (the limit is 256)", contentType: json,
                              body: DigitEncoding.json(["images": [String](repeating: Base64.encode(strokePixels), count: 257)]),
                              status: 413, mentions: "256"),
            BadPredictRequest(name: "unsupported Content-Type image/gif", contentType: "image/gif",
                              body: Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 100),
                              status: 415, mentions: "image/gif"),
            BadPredictRequest(name: "a JPEG start of image followed by zeros", contentType: "image/jpeg",
                              body: [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0, count: 100),
                              status: 400, mentions: "JPEG"),
            BadPredictRequest(name: "multipart without the closing boundary",
                              contentType: "multipart/form-data; boundary=\(MultipartBody.boundary)",
                              body: MultipartBody.encode([.file(name: "image", filename: "d.png", contentType: "image/png",
                                                                bytes: png)], closed: false),
                              status: 400, mentions: "closing boundary"),
            BadPredictRequest(name: "multipart with 1001 parts",
                              contentType: "multipart/form-data; boundary=\(MultipartBody.boundary)",
                              body: MultipartBody.encode([MultipartBody.Part](repeating: .field(name: "f", value: "v"), count: 1001)),
                              status: 413, mentions: "1000 parts"),
            BadPredictRequest(name: "multipart part with a 9 KiB header section",
                              contentType: "multipart/form-data; boundary=\(MultipartBody.boundary)",
                              body: MultipartBody.encode([.field(name: String(repeating: "n", count: 9 << 10), value: "v")]),
                              status: 413, mentions: "8192"),
            BadPredictRequest(name: "normalize=bogus", path: "/predict?normalize=bogus", contentType: "image/png", body: png, status: 400,
                              mentions: "normalize"),
            BadPredictRequest(name: "top=11", path: "/predict?top=11", contentType: "image/png", body: png, status: 400,
                              mentions: "top"),
            BadPredictRequest(name: "a blank white image (no ink)", contentType: "image/png",
                              body: try! PNGEncoder.encodeGray8(width: 64, height: 64, pixels: [UInt8](repeating: 255, count: 64 * 64)),
                              status: 422, mentions: "no ink"),
            BadPredictRequest(name: "GET /predict", method: "GET", contentType: nil, body: [], status: 405, mentions: "POST"),
            BadPredictRequest(name: "an unknown path", path: "/predictions", contentType: "image/png", body: png, status: 404),
        ]
    }()
}

/// Each bad input gets its 4xx and an RFC 9457 problem document saying what was wrong
/// (contract, "Errors"): never a 5xx, and the server keeps serving.
struct PredictErrorTests {
    /// The status, the `application/problem+json` body with `type`, `title`, `status` (the
    /// response's) and a `detail`, then a good request on the same server still succeeds.
    @Test(arguments: BadPredictRequest.all)
    func badRequestGetsAProblem(_ bad: BadPredictRequest) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try send(bad, to: service)
        #expect(response.status == bad.status, "\(response.text)")
        try expectProblem(response)
        if let mentions = bad.mentions {
            let detail = try response.jsonObject()["detail"] as? String ?? ""
            #expect(detail.contains(mentions), "\(detail)")
        }
        try expectGoodRequestSucceeds(on: service)
    }

    /// 405 names the allowed method, so a client can correct itself.
    @Test func getPredictNamesTheAllowedMethod() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.get("/predict")
        #expect(response.status == 405)
        #expect(response.header("Allow")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains("POST") == true)
    }

    /// In a batch, the problem names which image is bad, so a client can find it among 256.
    @Test func batchProblemNamesTheBadImage() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let good = Base64.encode(BadPredictRequest.strokePNG)
        let truncated = Base64.encode(Array(BadPredictRequest.strokePNG.prefix(40)))
        let response = try service.post(contentType: "application/json",
                                        body: DigitEncoding.json(["images": [good, good, truncated, good]]))
        #expect(response.status == 400)
        try expectProblem(response)
        let detail = try response.jsonObject()["detail"] as? String ?? ""
        #expect(detail.contains("image 2"), "\(detail)")
    }

    /// Every bad input one after another on one server, then a good request: no bad input
    /// takes the server down or leaves it unable to answer.
    @Test func serverSurvivesEveryBadInput() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        for bad in BadPredictRequest.all {
            let response = try send(bad, to: service)
            #expect((400..<500).contains(response.status), "\(bad.name): \(response.status)")
        }
        try expectGoodRequestSucceeds(on: service)
        #expect(try service.get("/healthz").status == 200)
    }

    private func send(_ bad: BadPredictRequest, to service: ServiceHarness) throws -> RawHTTPResponse {
        let client = try service.connect()
        let headers = bad.contentType.map { [("Content-Type", $0)] } ?? []
        guard bad.framed else {
            client.send(RawHTTPClient.head(method: bad.method, path: bad.path, headers: headers, contentLength: nil))
            return try client.readResponse()
        }
        return try client.request(method: bad.method, path: bad.path,
                                  headers: bad.contentType.map { [("Content-Type", $0)] } ?? [],
                                  body: bad.method == "GET" ? nil : bad.body)
    }

    private func expectProblem(_ response: RawHTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true, sourceLocation: sourceLocation)
        let problem = try response.jsonObject()
        #expect(problem["type"] is String, sourceLocation: sourceLocation)
        #expect((problem["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(problem["status"] as? Int == response.status, sourceLocation: sourceLocation)
        #expect((problem["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    }

    private func expectGoodRequestSucceeds(on service: ServiceHarness, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let response = try service.post(contentType: "image/png", body: BadPredictRequest.strokePNG)
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        #expect(try response.prediction().prediction.probabilities.count == 10, sourceLocation: sourceLocation)
    }
}
