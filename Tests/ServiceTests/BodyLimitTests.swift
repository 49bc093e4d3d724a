import Foundation
import Service
import Testing
import TestSupport

/// Issue 11 at the service's routes: each route reads bodies up to its own limit, decided on
/// the head, and admin routes authorize before `100 Continue`. Every head here declares a
/// body it never sends, so an answer proves the server did not wait for (or read) it.
struct BodyLimitTests {
    /// A head the service must answer at once, and what it must answer.
    struct RefusedHead: Sendable, CustomTestStringConvertible {
        let name: String
        let head: String
        let status: Int
        /// A word the problem's `detail` must contain.
        let mentions: String

        var testDescription: String { name }
    }

    static let refusedHeads: [RefusedHead] = [
        RefusedHead(name: "POST /predict declaring one byte over 8 MiB",
                    head: "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 8388609\r\n\r\n",
                    status: 413, mentions: "8388608"),
        RefusedHead(name: "GET /healthz declaring 16 MiB",
                    head: "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 16777216\r\n\r\n",
                    status: 413, mentions: "no request body"),
        RefusedHead(name: "POST /train declaring one byte over 64 KiB",
                    head: "POST /train HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(tokenForTests)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 65537\r\n\r\n",
                    status: 413, mentions: "65536"),
        RefusedHead(name: "POST /train without a token, asking for 100 Continue",
                    head: "POST /train HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n",
                    status: 401, mentions: "token"),
        RefusedHead(name: "POST /models/{id}/activate with a wrong token and a body",
                    head: "POST /models/shipped/activate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-value\r\n"
                        + "Content-Length: 100\r\n\r\n",
                    status: 401, mentions: "not valid"),
    ]

    static let tokenForTests = "body-limit-test-token"

    /// The problem comes first (no `100 Continue`), the connection closes, and the service
    /// goes on serving.
    @Test(arguments: refusedHeads)
    func refusedOnTheHead(_ refused: RefusedHead) throws {
        let service = try ServiceHarness { $0.adminToken = Self.tokenForTests }
        defer { service.stop() }
        let client = try service.connect(readTimeout: 5)
        client.send(refused.head)
        let response = try client.readResponse()
        #expect(response.status == refused.status, "\(response.text)")
        #expect(response.header("Content-Type") == "application/problem+json")
        let detail = try response.jsonObject()["detail"] as? String ?? ""
        #expect(detail.contains(refused.mentions), "\(detail)")
        #expect(client.isClosedByServer())
        #expect(try service.get("/healthz").status == 200)
    }

    /// With the right token, `POST /train` gets `100 Continue` and its body is read (this
    /// server has no training data, which it says only after reading the request).
    @Test func authorizedTrainGetsContinue() throws {
        let service = try ServiceHarness { $0.adminToken = Self.tokenForTests }
        defer { service.stop() }
        let client = try service.connect(readTimeout: 5)
        let body = #"{"epochs": 1}"#
        client.send("POST /train HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.tokenForTests)\r\n"
                    + "Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        client.send(body)
        let response = try client.readResponse()
        #expect(response.status == 503, "\(response.text)")
        #expect((try response.jsonObject()["detail"] as? String)?.contains("--mnist-dir") == true)
    }

    /// The configured limits are the ones enforced: a /predict body one byte over a lowered
    /// limit is 413, one at it is read (and answered on its merits).
    @Test func configuredPredictLimit() throws {
        let service = try ServiceHarness { $0.maxPredictBodyBytes = 784 }
        defer { service.stop() }
        let pixels = [UInt8](repeating: 0, count: 784)
        #expect(try service.post(contentType: "application/octet-stream", body: pixels + [0]).status == 413)
        #expect(try service.post(contentType: "application/octet-stream", body: pixels).status != 413)
    }
}
