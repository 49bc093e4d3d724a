import Foundation
import Testing
@testable import HTTP1

@Suite("HTTPResponse")
struct HTTPResponseTests {
    /// The problem document has exactly the four contract members, escaped as JSON.
    @Test func problemDocument() throws {
        let response = HTTPResponse.problem(status: 422, detail: "783 bytes, \"not\" 784\n", headers: ["Retry-After": "1"])
        #expect(response.status == 422)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(response.headers["retry-after"] == "1")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(Set(object.keys) == ["type", "title", "status", "detail"])
        #expect(object["type"] as? String == "about:blank")
        #expect(object["title"] as? String == "Unprocessable Content")
        #expect(object["status"] as? Int == 422)
        #expect(object["detail"] as? String == "783 bytes, \"not\" 784\n")
    }

    @Test func problemWithTypeAndTitle() throws {
        let response = HTTPError(status: 429, title: "Queue full", detail: "try later", type: "https://example.com/queue").response
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(object["type"] as? String == "https://example.com/queue")
        #expect(object["title"] as? String == "Queue full")
    }

    /// Extension members (the inference protocols' `error`) come first, escaped like the rest,
    /// beside the four standard members.
    @Test func problemWithExtensionMembers() throws {
        let response = HTTPResponse.problem(status: 404, detail: "no \"v9\"", extensionMembers: ["error": "no \"v9\""])
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text == #"{"error":"no \"v9\"","type":"about:blank","title":"Not Found","status":404,"detail":"no \"v9\""}"#)
        #expect(response.headers["Content-Type"] == "application/problem+json")
    }

    struct Prediction: Encodable {
        var digit: Int
        var model: String
    }

    @Test func jsonEncodesWithSortedKeys() throws {
        let response = try HTTPResponse.json(200, Prediction(digit: 7, model: "a/b"))
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"digit":7,"model":"a/b"}"#)
        #expect(response.headers["content-type"] == "application/json")
    }

    /// Bytes or Data that already hold JSON go out unchanged, not re-encoded.
    @Test func jsonFromReadyBytes() throws {
        let bytes = Array(#"{"digit":3}"#.utf8)
        let data = Data(bytes)
        #expect(HTTPResponse.json(200, bytes).body == bytes)
        #expect(HTTPResponse.json(201, data).body == bytes)
        #expect(HTTPResponse.json(201, data).headers["content-type"] == "application/json")
        // Through the generic Encodable path as well.
        func viaGeneric<Value: Encodable>(_ value: Value) throws -> [UInt8] { try HTTPResponse.json(200, value).body }
        #expect(try viaGeneric(bytes) == bytes)
        #expect(try viaGeneric(data) == bytes)
        #expect(try viaGeneric(["a": 1]) == Array(#"{"a":1}"#.utf8))
    }

    /// The server owns framing headers and neutralises CR/LF in handler header values.
    @Test func serializationOwnsFraming() {
        var response = HTTPResponse.text(201, "made", headers: ["Location": "/train/1\r\nSet-Cookie: evil=1"])
        response.headers.add(name: "Content-Length", value: "999")
        response.headers.add(name: "Connection", value: "upgrade")
        var output: [UInt8] = []
        response.serialize(into: &output, keepAlive: true, version: .http1_1, omitBody: false,
                           date: Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8), serverName: "mnist-cnn")
        #expect(String(decoding: output, as: UTF8.self) == "HTTP/1.1 201 Created\r\nServer: mnist-cnn\r\n"
            + "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nLocation: /train/1  Set-Cookie: evil=1\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nmade")
    }

    /// 204 and 304 carry neither a body nor a Content-Length; HEAD keeps the length only.
    @Test func bodilessResponses() {
        var output: [UInt8] = []
        HTTPResponse(status: 204, body: Array("x".utf8)).serialize(
            into: &output, keepAlive: false, version: .http1_1, omitBody: false, date: [], serverName: "s")
        let text = String(decoding: output, as: UTF8.self)
        #expect(!text.contains("Content-Length"))
        #expect(text.hasSuffix("Connection: close\r\n\r\n"))

        output = []
        HTTPResponse.text(200, "hello").serialize(into: &output, keepAlive: true, version: .http1_0, omitBody: true, date: [], serverName: "s")
        let head = String(decoding: output, as: UTF8.self)
        #expect(head.hasSuffix("Content-Length: 5\r\nConnection: keep-alive\r\n\r\n"))
    }

    /// A body without a declared type is sent as `application/octet-stream`; an empty one
    /// gets no type.
    @Test func defaultContentType() {
        var output: [UInt8] = []
        HTTPResponse(status: 200, body: [1, 2]).serialize(into: &output, keepAlive: true, version: .http1_1, omitBody: false, date: [], serverName: "s")
        #expect(String(decoding: output, as: UTF8.self).contains("\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n"))
        output = []
        HTTPResponse(status: 200).serialize(into: &output, keepAlive: true, version: .http1_1, omitBody: false, date: [], serverName: "s")
        #expect(!String(decoding: output, as: UTF8.self).contains("Content-Type"))
    }

    @Test func imfFixdate() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    /// Header lookup ignores case and keeps order and duplicates.
    @Test func headerLookup() {
        var headers: HTTPHeaders = ["Accept": "a", "X-Dup": "1", "x-dup": "2", "Connection": "keep-alive, Close"]
        #expect(headers["ACCEPT"] == "a")
        #expect(headers.values(for: "X-DUP") == ["1", "2"])
        #expect(headers.containsToken("close", for: "connection"))
        headers.replaceOrAdd(name: "X-Dup", value: "3")
        #expect(headers.values(for: "x-dup") == ["3"])
        headers.remove(name: "accept")
        #expect(!headers.contains("Accept"))
    }
}
