import Testing
@testable import HTTP1

/// A well-formed input and the requests it must give.
struct ValidCase: CustomStringConvertible, Sendable {
    var name: String
    var raw: String
    var expected: [RequestSummary]
    var description: String { name }
}

/// A malformed input and the exact error and status it must give.
struct MalformedCase: CustomStringConvertible, Sendable {
    var name: String
    var raw: String
    var error: HTTPParseError
    var status: Int
    var limits: HTTPLimits = testLimits
    var description: String { name }
}

let validCases: [ValidCase] = [
    ValidCase(name: "minimal GET", raw: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", expected: [RequestSummary()]),
    ValidCase(name: "query and percent-encoded path",
              raw: "GET /a%20b/c?x=1&y=two+words&z=%C3%A9&flag HTTP/1.1\r\nHost: x\r\n\r\n",
              expected: [RequestSummary(target: "/a%20b/c?x=1&y=two+words&z=%C3%A9&flag", path: "/a b/c",
                                        query: ["x=1", "y=two words", "z=é", "flag="])]),
    ValidCase(name: "Content-Length body",
              raw: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
              expected: [RequestSummary(method: "POST", target: "/echo", headers: ["Host: x", "Content-Length: 5"], body: "hello")]),
    ValidCase(name: "chunked body with extensions and trailer",
              raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value;q=\"a \\\" b\"\r\nhello\r\nA ; ext\r\n, world!!!\r\n0\r\nTrailer-One: yes\r\n\r\n",
              expected: [RequestSummary(method: "POST", headers: ["Host: x", "Transfer-Encoding: chunked"], body: "hello, world!!!")]),
    ValidCase(name: "HTTP/1.0 without Host",
              raw: "GET /old HTTP/1.0\r\n\r\n",
              expected: [RequestSummary(target: "/old", version: .http1_0, headers: [])]),
    ValidCase(name: "optional whitespace trimmed, empty value kept",
              raw: "GET / HTTP/1.1\r\nHost:x\r\nX-A: \t padded \t\r\nX-Empty:\r\n\r\n",
              expected: [RequestSummary(headers: ["Host: x", "X-A: padded", "X-Empty: "])]),
    ValidCase(name: "repeated identical Content-Length",
              raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
              expected: [RequestSummary(method: "POST", headers: ["Host: x", "Content-Length: 3, 3", "Content-Length: 3"], body: "abc")]),
    ValidCase(name: "empty lines before the request line are ignored",
              raw: "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", expected: [RequestSummary()]),
    ValidCase(name: "absolute-form target",
              raw: "GET http://example.com/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
              expected: [RequestSummary(target: "http://example.com/p?q=1", path: "/p", query: ["q=1"], headers: ["Host: example.com"])]),
    ValidCase(name: "asterisk-form OPTIONS",
              raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
              expected: [RequestSummary(method: "OPTIONS", target: "*")]),
    ValidCase(name: "HTTP/1.2 is handled as 1.1",
              raw: "GET / HTTP/1.2\r\nHost: x\r\n\r\n", expected: [RequestSummary()]),
    ValidCase(name: "case-insensitive framing header names",
              raw: "PUT / HTTP/1.1\r\nhOsT: x\r\nCONTENT-LENGTH: 2\r\n\r\nok",
              expected: [RequestSummary(method: "PUT", headers: ["hOsT: x", "CONTENT-LENGTH: 2"], body: "ok")]),
    ValidCase(name: "empty Transfer-Encoding list elements are ignored",
              raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked\r\n\r\n0\r\n\r\n",
              expected: [RequestSummary(method: "POST", headers: ["Host: x", "Transfer-Encoding: , chunked"])]),
    ValidCase(name: "expect 100-continue with body",
              raw: "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
              expected: [RequestSummary(method: "POST", headers: ["Host: x", "Expect: 100-continue", "Content-Length: 2"], body: "hi")]),
    ValidCase(name: "two requests back to back",
              raw: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nZ",
              expected: [RequestSummary(target: "/a"),
                         RequestSummary(method: "POST", target: "/b", headers: ["Host: x", "Content-Length: 1"], body: "Z")]),
    ValidCase(name: "chunked body with uppercase hex and leading zeros",
              raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n000B\r\nhello world\r\n00\r\n\r\n",
              expected: [RequestSummary(method: "POST", headers: ["Host: x", "Transfer-Encoding: chunked"], body: "hello world")]),
]

let malformedCases: [MalformedCase] = [
    // Request line.
    MalformedCase(name: "HTTP/0.9 simple request", raw: "GET /\r\n\r\n", error: .http09Request, status: 400),
    MalformedCase(name: "explicit HTTP/0.9 version", raw: "GET / HTTP/0.9\r\n\r\n", error: .unsupportedVersion, status: 505),
    MalformedCase(name: "HTTP/2.0 over HTTP/1 framing", raw: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", error: .unsupportedVersion, status: 505),
    MalformedCase(name: "lowercase protocol name", raw: "GET / http/1.1\r\nHost: x\r\n\r\n", error: .invalidVersion, status: 400),
    MalformedCase(name: "version without minor", raw: "GET / HTTP/1\r\nHost: x\r\n\r\n", error: .invalidVersion, status: 400),
    MalformedCase(name: "trailing space after version", raw: "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", error: .invalidVersion, status: 400),
    MalformedCase(name: "two-digit major", raw: "GET / HTTP/11.1\r\nHost: x\r\n\r\n", error: .invalidVersion, status: 400),
    MalformedCase(name: "method with a non-token byte", raw: "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidMethod, status: 400),
    MalformedCase(name: "request line starting with a space", raw: " GET / HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidMethod, status: 400),
    MalformedCase(name: "method alone", raw: "GET\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "double space before target", raw: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "tab inside the target", raw: "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "bad percent escape", raw: "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "escaped NUL in path", raw: "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "escape of invalid UTF-8", raw: "GET /%FF HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "relative target", raw: "GET abc HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "asterisk target on GET", raw: "GET * HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "fragment in target", raw: "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", error: .invalidRequestTarget, status: 400),
    MalformedCase(name: "request line over the limit",
                  raw: "GET /" + String(repeating: "a", count: 120) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                  error: .requestLineTooLong, status: 414),
    MalformedCase(name: "endless request line without LF",
                  raw: "GET /" + String(repeating: "a", count: 200), error: .requestLineTooLong, status: 414),

    // Line endings.
    MalformedCase(name: "bare LF after the request line", raw: "GET / HTTP/1.1\nHost: x\r\n\r\n", error: .bareLineFeed, status: 400),
    MalformedCase(name: "bare LF after a header", raw: "GET / HTTP/1.1\r\nHost: x\n\r\n", error: .bareLineFeed, status: 400),
    MalformedCase(name: "bare LF ending the head", raw: "GET / HTTP/1.1\r\nHost: x\r\n\n", error: .bareLineFeed, status: 400),
    MalformedCase(name: "bare LF as the first byte", raw: "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", error: .bareLineFeed, status: 400),
    MalformedCase(name: "bare CR in a header value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", error: .bareCarriageReturn, status: 400),
    MalformedCase(name: "bare CR in the request line", raw: "GET /\r HTTP/1.1\r\nHost: x\r\n\r\n", error: .bareCarriageReturn, status: 400),

    // Header fields.
    MalformedCase(name: "obsolete line folding", raw: "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", error: .obsoleteLineFolding, status: 400),
    MalformedCase(name: "whitespace before the first header", raw: "GET / HTTP/1.1\r\n Host: x\r\n\r\n", error: .obsoleteLineFolding, status: 400),
    MalformedCase(name: "space before the colon", raw: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", error: .invalidHeaderName, status: 400),
    MalformedCase(name: "empty header name", raw: "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", error: .invalidHeaderName, status: 400),
    MalformedCase(name: "header line without colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", error: .missingColon, status: 400),
    MalformedCase(name: "NUL in a header value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n", error: .invalidHeaderValue, status: 400),
    MalformedCase(name: "DEL in a header value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{7F}b\r\n\r\n", error: .invalidHeaderValue, status: 400),
    MalformedCase(name: "missing Host in HTTP/1.1", raw: "GET / HTTP/1.1\r\n\r\n", error: .missingHost, status: 400),
    MalformedCase(name: "two Host headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", error: .multipleHost, status: 400),
    MalformedCase(name: "header section over the limit",
                  raw: "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 400) + "\r\n\r\n",
                  error: .headersTooLarge, status: 431),
    MalformedCase(name: "too many header lines",
                  raw: "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X: 1\r\n", count: 10) + "\r\n",
                  error: .tooManyHeaders, status: 431),
    MalformedCase(name: "unsupported expectation",
                  raw: "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx",
                  error: .unsupportedExpectation, status: 417),

    // Framing (request smuggling vectors first).
    MalformedCase(name: "Content-Length with Transfer-Encoding",
                  raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  error: .contentLengthWithTransferEncoding, status: 400),
    MalformedCase(name: "Transfer-Encoding before Content-Length",
                  raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
                  error: .contentLengthWithTransferEncoding, status: 400),
    MalformedCase(name: "conflicting Content-Length lines",
                  raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "conflicting Content-Length list", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "non-numeric Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "negative Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "plus-signed Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "hex Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "empty Content-Length", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
                  error: .invalidContentLength, status: 400),
    MalformedCase(name: "Content-Length that overflows 64 bits",
                  raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
                  error: .bodyTooLarge, status: 413),
    MalformedCase(name: "Content-Length over the limit", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n",
                  error: .bodyTooLarge, status: 413),
    MalformedCase(name: "Transfer-Encoding in HTTP/1.0",
                  raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  error: .transferEncodingInHTTP10, status: 400),
    MalformedCase(name: "unknown transfer coding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                  error: .unsupportedTransferCoding, status: 501),
    MalformedCase(name: "gzip then chunked", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                  error: .unsupportedTransferCoding, status: 501),
    MalformedCase(name: "chunked twice", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                  error: .invalidTransferEncoding, status: 400),
    MalformedCase(name: "chunked with a parameter", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
                  error: .invalidTransferEncoding, status: 400),
    MalformedCase(name: "empty Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n",
                  error: .invalidTransferEncoding, status: 400),

    // Chunked bodies.
    MalformedCase(name: "non-hex chunk size", raw: chunked("zz\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkSize, status: 400),
    MalformedCase(name: "empty chunk size line", raw: chunked("\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkSize, status: 400),
    MalformedCase(name: "0x-prefixed chunk size", raw: chunked("0x5\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkSize, status: 400),
    MalformedCase(name: "negative chunk size", raw: chunked("-5\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkSize, status: 400),
    MalformedCase(name: "chunk size overflowing 64 bits", raw: chunked("FFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"), error: .bodyTooLarge, status: 413),
    MalformedCase(name: "chunks adding up past the limit", raw: chunked("3E8\r\n" + String(repeating: "a", count: 1000) + "\r\n1\r\nb\r\n0\r\n\r\n"),
                  error: .bodyTooLarge, status: 413),
    MalformedCase(name: "chunk size line over its limit", raw: chunked("5;" + String(repeating: "e", count: 80) + "\r\nhello\r\n0\r\n\r\n"),
                  error: .invalidChunkSize, status: 400),
    MalformedCase(name: "garbage after chunk size", raw: chunked("5 x\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkExtension, status: 400),
    MalformedCase(name: "chunk extension without name", raw: chunked("5;\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkExtension, status: 400),
    MalformedCase(name: "chunk extension without value", raw: chunked("5;a=\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkExtension, status: 400),
    MalformedCase(name: "unterminated quoted chunk extension", raw: chunked("5;a=\"x\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkExtension, status: 400),
    MalformedCase(name: "chunk data longer than its size", raw: chunked("3\r\nhello\r\n0\r\n\r\n"), error: .invalidChunkTerminator, status: 400),
    MalformedCase(name: "chunk data ended by bare LF", raw: chunked("5\r\nhello\n0\r\n\r\n"), error: .invalidChunkTerminator, status: 400),
    MalformedCase(name: "chunk size line ended by bare LF", raw: chunked("5\nhello\r\n0\r\n\r\n"), error: .bareLineFeed, status: 400),
    MalformedCase(name: "malformed trailer", raw: chunked("0\r\nbad trailer\r\n\r\n"), error: .invalidTrailer, status: 400),
]

/// A chunked POST whose body section is `body`.
func chunked(_ body: String) -> String {
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
}

@Suite("HTTPRequestParser table")
struct HTTPRequestParserTableTests {
    /// Every valid input gives the same requests however its bytes are sliced.
    @Test(arguments: validCases, Feeding.allCases)
    func validInput(_ testCase: ValidCase, _ feeding: Feeding) {
        let outcome = parse(testCase.raw, feeding: feeding)
        #expect(outcome.error == nil)
        #expect(outcome.requests == testCase.expected)
    }

    /// Pipelined three times in one buffer, a valid input gives its requests three times.
    @Test(arguments: validCases)
    func validInputPipelined(_ testCase: ValidCase) {
        let outcome = parse(String(repeating: testCase.raw, count: 3))
        #expect(outcome.error == nil)
        #expect(outcome.requests == testCase.expected + testCase.expected + testCase.expected)
    }

    /// Every malformed input fails with its exact error, however its bytes are sliced.
    @Test(arguments: malformedCases, Feeding.allCases)
    func malformedInput(_ testCase: MalformedCase, _ feeding: Feeding) {
        let outcome = parse(testCase.raw, limits: testCase.limits, feeding: feeding)
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error == testCase.error)
        #expect(testCase.error.status == testCase.status)
    }

    /// Behind a valid pipelined request, a malformed one still gives the valid request first.
    @Test(arguments: malformedCases)
    func malformedInputAfterValidRequest(_ testCase: MalformedCase) {
        let outcome = parse("GET /first HTTP/1.1\r\nHost: x\r\n\r\n" + testCase.raw, limits: testCase.limits)
        #expect(outcome.requests == [RequestSummary(target: "/first")])
        #expect(outcome.error == testCase.error)
    }

    /// A parser that stops at each head for the server's decision, with every body accepted,
    /// gives exactly what the plain parser gives, for valid and malformed input alike.
    @Test(arguments: [Feeding.allAtOnce, .byteByByte])
    func decidingBodiesChangesNothingWhenAccepted(_ feeding: Feeding) {
        for testCase in validCases {
            #expect(parse(testCase.raw, feeding: feeding, decidingBodies: true) == parse(testCase.raw, feeding: feeding))
        }
        for testCase in malformedCases {
            #expect(parse(testCase.raw, limits: testCase.limits, feeding: feeding, decidingBodies: true)
                    == parse(testCase.raw, limits: testCase.limits, feeding: feeding))
        }
    }

    /// The head of a request with a body comes out before any of the body is held, and
    /// nothing more is parsed until the body is accepted.
    @Test func headStopsBeforeTheBody() {
        var parser = HTTPRequestParser(limits: testLimits, decidesBodies: true)
        parser.append(Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello".utf8))
        guard case .head(let head, let framing) = parser.next() else {
            Issue.record("expected the head first")
            return
        }
        #expect(head.path == "/p" && head.body.isEmpty && framing == .length(5))
        #expect(parser.bufferedBodyBytes == 0)
        #expect(parser.next().isNeedMore)
        let continueBeforeDecision = parser.takeContinueRequest()
        #expect(!continueBeforeDecision)
        parser.acceptBody(limit: 5)
        guard case .request(let request) = parser.next() else {
            Issue.record("expected the request once its body is accepted")
            return
        }
        #expect(request.body == Array("hello".utf8))
    }

    /// `acceptBody(limit:)` narrows the body limit for this request: a declared length over it
    /// and a chunked body growing past it both fail with 413.
    @Test func acceptedLimitBoundsTheBody() {
        var fixed = HTTPRequestParser(limits: testLimits, decidesBodies: true)
        fixed.append(Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n".utf8))
        guard case .head = fixed.next() else {
            Issue.record("expected a head")
            return
        }
        fixed.acceptBody(limit: 10)
        #expect(fixed.next().errorValue == .bodyTooLarge)

        var chunked = HTTPRequestParser(limits: testLimits, decidesBodies: true)
        chunked.append(Array("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n".utf8))
        guard case .head(_, let framing) = chunked.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(framing == .chunked)
        chunked.acceptBody(limit: 10)
        #expect(chunked.next().isNeedMore)
        #expect(chunked.bufferedBodyBytes == 8)
        chunked.append(Array("3\r\nabc\r\n".utf8))
        #expect(chunked.next().errorValue == .bodyTooLarge)
    }

    /// After an error the parser is poisoned: more bytes never produce a request.
    @Test func errorIsSticky() {
        var parser = HTTPRequestParser(limits: testLimits)
        parser.append(Array("GET / HTTP/9.9\r\n\r\n".utf8))
        #expect(parser.next().errorValue == .unsupportedVersion)
        parser.append(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(parser.next().errorValue == .unsupportedVersion)
    }

    /// Every parse error maps to one of the statuses the contract allows for bad input.
    @Test func everyErrorHasAClientStatus() {
        for error in HTTPParseError.allCases {
            #expect([400, 411, 413, 414, 417, 431, 501, 505].contains(error.status), "\(error)")
            #expect(!error.detail.isEmpty)
        }
    }
}

extension HTTPParseResult {
    var errorValue: HTTPParseError? {
        if case .error(let error) = self { return error }
        return nil
    }
}
