import Foundation
import Imaging
import Service
import Testing
import TestSupport

/// The limits that keep hostile bodies from taking the process's memory (issue 11), over real
/// sockets: pixel caps read from image headers, JSON shapes refused before parsing, and the
/// memory budget's two refusals. After each, the server still answers a well-behaved request
/// and the budget is given back in full.
@Suite struct HostileLoadTests {
    static let json = "application/json"

    /// `{"images": [bomb, bomb, ...]}` of `count` copies of the PNG bomb.
    static func bombBatch(_ count: Int) -> [UInt8] {
        DigitEncoding.json(["images": [String](repeating: Base64.encode(HostilePNG.declaredBomb), count: count)])
    }

    /// Waits (up to 5 s) for every reservation to be given back: the handler releases them as
    /// it returns, just after the response is written.
    static func budgetDrains(_ service: ServiceHarness) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while service.app.memoryBudget.usedBytes != 0 && Date() < deadline { usleep(1_000) }
        return service.app.memoryBudget.usedBytes == 0
    }

    static func expectServesWellBehavedClient(_ service: ServiceHarness) throws {
        let response = try service.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels)
        #expect(response.status == 200, "\(response.text)")
    }

    static func expectProblem(_ response: RawHTTPResponse, status: Int, title: String, mentions: String? = nil) {
        #expect(response.status == status, "\(response.text)")
        #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let problem = try? response.jsonObject()
        #expect(problem?["title"] as? String == title, "\(response.text)")
        if let mentions { #expect((problem?["detail"] as? String)?.contains(mentions) == true, "\(response.text)") }
    }

    /// Batches of 8 and 64 bombs (22 KB and 181 KB of JSON, which took main's process to 594 MB
    /// and 4.2 GB) declare 134 and 1,074 million pixels: 413 from the headers alone, before
    /// any image is inflated, so the budget never held a decode.
    @Test(arguments: [8, 64])
    func pngBombBatchIsRefusedFromItsHeaders(count: Int) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.post(contentType: Self.json, body: Self.bombBatch(count))
        Self.expectProblem(response, status: 413, title: "Too many pixels", mentions: "\(count * 4096 * 4096) pixels")
        #expect(service.app.memoryBudget.refusedCount == 0, "refused before asking the budget")
        #expect(Self.budgetDrains(service))
        try Self.expectServesWellBehavedClient(service)
    }

    /// One bomb alone is within the per-request cap: it is decoded at one byte per pixel
    /// under a reservation from its declared size, found blank (422), and the reservation is
    /// given back.
    @Test func singleBombIsDecodedWithinItsReservation() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.post(contentType: Self.json, body: Self.bombBatch(1))
        Self.expectProblem(response, status: 422, title: "Unusable image", mentions: "image 0: image has no ink")
        #expect(Self.budgetDrains(service))
        try Self.expectServesWellBehavedClient(service)
    }

    /// A 2-million-element array is refused by the shape scan (413) before a parser builds
    /// two million objects.
    @Test func hugeJSONArrayIsRefusedBeforeParsing() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let body = Array("{\"images\":[".utf8) + Array(repeating: Array("0,".utf8), count: 1_999_999).flatMap { $0 }
            + Array("0]}".utf8)
        let response = try service.post(contentType: Self.json, body: body)
        Self.expectProblem(response, status: 413, title: "JSON too large", mentions: "more than 1088 values")
        try Self.expectServesWellBehavedClient(service)
    }

    /// 100,000 levels of nesting are refused (400) before a recursive parser can run out of
    /// stack on them.
    @Test func deepNestingIsRefusedBeforeParsing() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let body = Array("{\"images\":".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
            + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000) + Array("}".utf8)
        let response = try service.post(contentType: Self.json, body: body)
        Self.expectProblem(response, status: 400, title: "JSON nested too deeply", mentions: "16 levels")
        try Self.expectServesWellBehavedClient(service)
    }

    /// A 200x200 digit whose decoding the budget cannot hold now, because other work holds
    /// it, gets 503 with `Retry-After`; once that work gives its bytes back, the same request
    /// is served.
    @Test func budgetTakenByOthersGives503WithRetryAfter() throws {
        let service = try ServiceHarness(configure: { $0.memoryBudgetBytes = 8 << 20 })
        defer { service.stop() }
        let digit = try PNGEncoder.encodeGray8(width: 200, height: 200, pixels: Self.strokeDigit(side: 200))
        // Other requests' small reservations, 64 KiB short of the whole budget.
        let others = try (0..<8).map { piece in
            try #require(service.app.memoryBudget.reserve(piece < 7 ? 1 << 20 : (1 << 20) - (64 << 10)))
        }
        let refused = try service.post(contentType: "image/png", body: digit)
        Self.expectProblem(refused, status: 503, title: "Server busy", mentions: "memory budget")
        #expect(refused.header("Retry-After") == "1")
        others.forEach { $0.release() }
        let served = try service.post(contentType: "image/png", body: digit)
        #expect(served.status == 200, "\(served.text)")
        #expect(Self.budgetDrains(service))
    }

    /// While other work leaves 3 MiB of a 16 MiB budget free, a 700x700 image (1.5 MB to
    /// decode) is refused, as it would eat into the 2 MiB kept for small requests, and a 28x28
    /// digit is still served from them.
    @Test func largeRequestsLeaveHeadroomForSmallOnes() throws {
        let service = try ServiceHarness(configure: { $0.memoryBudgetBytes = 16 << 20 })
        defer { service.stop() }
        let others = try #require(service.app.memoryBudget.reserve(13 << 20))
        let large = try PNGEncoder.encodeGray8(width: 700, height: 700, pixels: Self.strokeDigit(side: 700))
        let refused = try service.post(contentType: "image/png", body: large)
        Self.expectProblem(refused, status: 503, title: "Server busy")
        try Self.expectServesWellBehavedClient(service)
        others.release()
        #expect(try service.post(contentType: "image/png", body: large).status == 200)
        #expect(Self.budgetDrains(service))
    }

    /// A 1500x1500 image needs more to decode than a 1 MiB budget holds at all: 413, since
    /// retrying cannot help, and the server goes on serving.
    @Test func requestThatCanNeverFitGives413() throws {
        let service = try ServiceHarness(configure: { $0.memoryBudgetBytes = 1 << 20 })
        defer { service.stop() }
        let large = try PNGEncoder.encodeGray8(width: 1500, height: 1500, pixels: Self.strokeDigit(side: 1500))
        let response = try service.post(contentType: "image/png", body: large)
        Self.expectProblem(response, status: 413, title: "Request too large for memory", mentions: "memory budget of 1048576 bytes allows one request")
        #expect(response.header("Retry-After") == nil)
        #expect(Self.budgetDrains(service))
        try Self.expectServesWellBehavedClient(service)
    }

    /// Batches give back everything they reserved, answered or refused.
    @Test func budgetIsGivenBackAfterEveryAnswer() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let png = Base64.encode(BadPredictRequest.strokePNG)
        let ok = try service.post(contentType: Self.json, body: DigitEncoding.json(["images": [String](repeating: png, count: 32)]))
        #expect(ok.status == 200)
        let bad = try service.post(contentType: Self.json, body: DigitEncoding.json(["images": [png, "AAAA"]]))
        #expect(bad.status == 415)
        #expect(Self.budgetDrains(service))
    }

    /// A vertical bar, dark on white, in a `side`x`side` image.
    static func strokeDigit(side: Int) -> [UInt8] {
        (0..<(side * side)).map { index in
            let x = index % side, y = index / side
            return (side / 5...(4 * side / 5)).contains(y) && (side * 9 / 20...(side * 11 / 20)).contains(x) ? 0 : 255
        }
    }
}
