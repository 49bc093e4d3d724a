import Testing
@testable import HTTP1

@Suite("MediaType")
struct MediaTypeTests {
    /// Type and subtype are lowercased, parameters unquoted with escapes removed.
    @Test func parsesQuotedParameters() throws {
        let type = try #require(MediaType(parsing: #"Multipart/Form-Data; boundary="a \"b\" c"; CHARSET=utf-8"#))
        #expect(type.type == "multipart")
        #expect(type.subtype == "form-data")
        #expect(type.essence == "multipart/form-data")
        #expect(type.parameter("boundary") == #"a "b" c"#)
        #expect(type.parameter("charset") == "utf-8")
    }

    /// Whitespace around semicolons and empty parameters are allowed (RFC 9110 §5.6.6).
    @Test func toleratesOptionalWhitespace() throws {
        let type = try #require(MediaType(parsing: "image/png ;  ;q=1 "))
        #expect(type.essence == "image/png")
        #expect(type.parameter("q") == "1")
    }

    /// A request exposes its parsed Content-Type.
    @Test func requestContentType() throws {
        let request = try HTTPRequest(method: "POST", target: "/predict",
                                      headers: ["Content-Type": "multipart/form-data; boundary=----x"])
        #expect(request.contentType?.essence == "multipart/form-data")
        #expect(request.contentType?.parameter("boundary") == "----x")
        #expect(try HTTPRequest(method: "POST", target: "/", headers: ["Content-Type": "bad"]).contentType == nil)
    }

    /// Inputs that are not `type/subtype *(; name=value)`.
    @Test(arguments: ["", "image", "image/", "/png", "image/png; q", "image/png; q=", "image/png; q=\"open",
                      "image/png x", "ima ge/png", "image/png; =1"])
    func rejectsMalformed(text: String) {
        #expect(MediaType(parsing: text) == nil)
    }
}

@Suite("MultipartFormData")
struct MultipartFormDataTests {
    static func body(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }

    /// What `curl -F image=@digit.png -F note=hi` sends: preamble, two parts, epilogue.
    @Test func parsesFileAndFieldParts() throws {
        let body = Self.body("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
            + "Content-Type: image/png\r\n\r\n\u{89}PNG\r\n\r\nbinary--XyZ-ish\r\n--XyZ\r\n"
            + "Content-Disposition: form-data; name=note\r\n\r\nhi\r\n--XyZ--\r\nepilogue")
        let parts = try MultipartFormData.parse(body: body, boundary: "XyZ")
        #expect(parts.count == 2)
        #expect(parts[0].name == "image")
        #expect(parts[0].filename == "digit.png")
        #expect(parts[0].contentType?.essence == "image/png")
        #expect(parts[0].body == Array("\u{89}PNG\r\n\r\nbinary--XyZ-ish".utf8))
        #expect(parts[1].name == "note")
        #expect(parts[1].filename == nil)
        #expect(parts[1].contentType == nil)
        #expect(parts[1].body == Array("hi".utf8))
    }

    /// A part without headers and an empty body are both legal.
    @Test func emptyHeadersAndBody() throws {
        let parts = try MultipartFormData.parse(body: Self.body("--b\r\n\r\n\r\n--b  \r\nX-A: 1\r\n\r\n\r\n--b--"), boundary: "b")
        #expect(parts.count == 2)
        #expect(parts[0].body.isEmpty && parts[0].headers.isEmpty)
        #expect(parts[1].headers["x-a"] == "1")
        #expect(parts[1].body.isEmpty)
    }

    @Test func missingClosingBoundary() {
        #expect(throws: MultipartError.missingClosingBoundary) {
            try MultipartFormData.parse(body: Self.body("--b\r\nContent-Disposition: form-data; name=a\r\n\r\ndata"), boundary: "b")
        }
        #expect(throws: MultipartError.missingClosingBoundary) {
            try MultipartFormData.parse(body: Self.body("--b\r\n\r\ndata\r\n--b"), boundary: "b")
        }
    }

    @Test func missingBoundary() {
        #expect(throws: MultipartError.missingBoundary) {
            try MultipartFormData.parse(body: Self.body("no delimiter here"), boundary: "b")
        }
        // A delimiter not at the start of a line is body text, so only the close delimiter
        // is found: no opening delimiter, no part.
        #expect(throws: MultipartError.missingBoundary) {
            try MultipartFormData.parse(body: Self.body("x--b\r\n\r\ndata\r\n--b--"), boundary: "b")
        }
    }

    @Test(arguments: ["--b\r\nBad Header\r\n\r\nx\r\n--b--", "--b\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--b--",
                      "--b\r\nContent-Type: nonsense\r\n\r\nx\r\n--b--", "--b\r\nX: 1\nY: 2\r\n\r\nx\r\n--b--",
                      "--b\r\nX: 1"])
    func malformedPartHeaders(text: String) {
        #expect(throws: MultipartError.malformedPartHeaders) {
            try MultipartFormData.parse(body: Self.body(text), boundary: "b")
        }
    }

    @Test(arguments: ["", String(repeating: "a", count: 71), "a\"b", "ends with space "])
    func invalidBoundary(boundary: String) {
        #expect(throws: MultipartError.invalidBoundary) {
            try MultipartFormData.parse(body: Self.body("--x--"), boundary: boundary)
        }
    }

    @Test func tooManyParts() {
        let body = Self.body(String(repeating: "--b\r\n\r\nx\r\n", count: 3) + "--b--")
        #expect(throws: MultipartError.tooManyParts) { try MultipartFormData.parse(body: body, boundary: "b", maxParts: 2) }
        #expect((try? MultipartFormData.parse(body: body, boundary: "b", maxParts: 3))?.count == 3)
    }

    /// A part's header section is bounded: many short lines and one endless line both stop
    /// at the limit, while a section just under it parses.
    @Test func partHeadersAreBounded() {
        let manyLines = Self.body("--b\r\n" + String(repeating: "a: b\r\n", count: 20) + "\r\nx\r\n--b--")
        #expect(throws: MultipartError.partHeadersTooLarge) {
            try MultipartFormData.parse(body: manyLines, boundary: "b", maxPartHeaderBytes: 100)
        }
        #expect((try? MultipartFormData.parse(body: manyLines, boundary: "b", maxPartHeaderBytes: 122))?.first?.headers.count == 20)
        let endless = Self.body("--b\r\nX-Long: " + String(repeating: "y", count: 10_000) + "\r\n\r\nx\r\n--b--")
        #expect(throws: MultipartError.partHeadersTooLarge) {
            try MultipartFormData.parse(body: endless, boundary: "b", maxPartHeaderBytes: 8192)
        }
    }
}
