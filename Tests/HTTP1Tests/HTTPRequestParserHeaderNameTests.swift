import Testing
@testable import HTTP1

@Suite("HTTPRequestParser header names and continue")
struct HTTPRequestParserHeaderNameTests {
    /// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    /// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. Each of the 256 byte values is put in the
    /// middle of a header name: tchars make a valid name, ":" ends the name early (still
    /// valid), LF and CR break the line, and every other byte is rejected.
    @Test(arguments: Feeding.allCases)
    func everyByteInAHeaderName(_ feeding: Feeding) {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var accepted = 0
        for value in 0...255 {
            let byte = UInt8(value)
            let raw = Array("GET / HTTP/1.1\r\nHost: x\r\nA".utf8) + [byte] + Array("B: v\r\n\r\n".utf8)
            let outcome = parse(raw, sliceLength: feeding.sliceLength)
            if tchars.contains(byte) {
                accepted += 1
                #expect(outcome.error == nil, "byte \(value)")
                #expect(outcome.requests.first?.headers.last == "A\(Character(Unicode.Scalar(byte)))B: v", "byte \(value)")
            } else if byte == ASCII.colon {
                #expect(outcome.requests.first?.headers.last == "A: B: v")
            } else if byte == ASCII.lf {
                #expect(outcome.error == .bareLineFeed, "byte \(value)")
            } else if byte == ASCII.cr {
                #expect(outcome.error == .bareCarriageReturn, "byte \(value)")
            } else {
                #expect(outcome.error == .invalidHeaderName, "byte \(value)")
                #expect(outcome.requests.isEmpty)
            }
        }
        #expect(accepted == 77)
    }

    /// A body announced with `Expect: 100-continue` asks for `100 Continue` exactly once when
    /// the body has not arrived with the head, and not at all when it has.
    @Test func continueIsRequestedOnlyWhileTheBodyIsMissing() {
        let raw = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody"
        #expect(parse(raw, feeding: .allAtOnce).continueRequests == 0)
        #expect(parse(raw, feeding: .byteByByte).continueRequests == 1)
        let chunkedRaw = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"
        let outcome = parse(chunkedRaw, feeding: .byteByByte)
        #expect(outcome.continueRequests == 1)
        #expect(outcome.requests.first?.body == Array("body".utf8))
    }

    /// HTTP/1.0 has no 100-continue (RFC 9110 §10.1.1): the expectation is ignored.
    @Test func continueIsIgnoredInHTTP10() {
        let raw = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody"
        let outcome = parse(raw, feeding: .byteByByte)
        #expect(outcome.continueRequests == 0)
        #expect(outcome.requests.count == 1)
    }

    /// An oversized body declared with 100-continue is refused before any body is read.
    @Test func continueWithOversizedLengthIsRefusedFromTheHead() {
        var parser = HTTPRequestParser(limits: testLimits)
        parser.append(Array("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n".utf8))
        #expect(parser.next().errorValue == .bodyTooLarge)
        let continueRequested = parser.takeContinueRequest()
        #expect(!continueRequested)
    }

    /// The parser reports partial requests and body reading, which drive idle closing and
    /// the body timeout.
    @Test func progressFlags() {
        var parser = HTTPRequestParser(limits: testLimits)
        #expect(!parser.hasPartialRequest)
        parser.append(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n".utf8))
        #expect(parser.next().isNeedMore)
        #expect(parser.hasPartialRequest && !parser.isReadingBody)
        parser.append(Array("\r\nbo".utf8))
        #expect(parser.next().isNeedMore)
        #expect(parser.isReadingBody)
        parser.append(Array("dy".utf8))
        #expect(!parser.next().isNeedMore)
        #expect(!parser.hasPartialRequest && !parser.isReadingBody)
    }

    /// Large bodies fed in many small reads are reassembled exactly, and the buffer is
    /// compacted between pipelined requests (the same parser handles far more bytes than any
    /// single request).
    @Test func manyRequestsThroughOneParser() {
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 1 << 20))
        let body = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let request = Array("PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        var received = 0
        for _ in 0..<5 {
            var offset = 0
            while offset < request.count {
                let end = min(request.count, offset + 1000)
                parser.append(request[offset..<end])
                offset = end
                while case .request(let parsed) = parser.next() {
                    #expect(parsed.body == body)
                    received += 1
                }
            }
        }
        #expect(received == 5)
    }
}

extension HTTPParseResult {
    var isNeedMore: Bool {
        if case .needMore = self { return true }
        return false
    }
}
