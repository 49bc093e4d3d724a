#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the parser made of the bytes it has so far.
public enum HTTPParseResult: Sendable {
    /// The next request is incomplete; append more bytes.
    case needMore
    /// Only from a parser made with `decidesBodies`: the head of a request that declares a
    /// body, before a byte of that body is buffered. Call `acceptBody(limit:)` to read it; a
    /// caller that refuses it stops reading this stream (the body's bytes would otherwise be
    /// taken for the next request).
    case head(HTTPRequest, body: HTTPBodyFraming)
    /// A complete request, body included; its bytes are consumed.
    case request(HTTPRequest)
    /// The stream is malformed; every later call returns the same error.
    case error(HTTPParseError)
}

/// How a request's body is delimited, as its head declares it (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// `Content-Length: n`, n > 0.
    case length(Int)
    /// `Transfer-Encoding: chunked`: the size is known only at the last chunk.
    case chunked
}

/// An incremental, strict HTTP/1.1 request parser (RFC 9112) over bytes, with no I/O.
///
/// Append bytes as they arrive and call `next()` until it answers `.needMore`. Pipelined
/// requests come out one per call, in order. The parser rescans nothing: it remembers how far
/// it looked for the end of the current line, so feeding one byte at a time costs the same
/// as feeding everything at once.
public struct HTTPRequestParser: Sendable {
    /// The limits enforced on each request.
    public var limits: HTTPLimits
    /// Whether a head that declares a body stops at `.head` for the caller to decide (route,
    /// authorize, reserve memory) before any of the body is buffered.
    public let decidesBodies: Bool

    /// Received bytes; everything before `start` is consumed. All scan positions below are
    /// relative to `start`, so compacting the buffer never invalidates them.
    private var buffer: [UInt8] = []
    private var start = 0
    private var phase: Phase = .head
    private var head = HeadScan()
    /// The request whose head is parsed while its body is still arriving.
    private var pending: HTTPRequest?
    /// The body of the current request so far (chunked framing removed); fixed-length bodies
    /// are moved here as they arrive, into capacity reserved once for their declared length.
    private var body: [UInt8] = []
    /// The largest body the current request may have (the route's limit once accepted).
    private var bodyLimit: Int
    /// The head that stopped at `.head`, with whether it asked for `100 Continue`.
    private var awaiting: (framing: HTTPBodyFraming, expectsContinue: Bool)?
    private var chunk = ChunkScan()
    private var continueRequested = false

    private enum Phase {
        case head
        case fixedBody(length: Int)
        case chunked
        case failed(HTTPParseError)
    }

    private struct HeadScan {
        /// Bytes already searched for LF.
        var scanned = 0
        /// Where the line being read starts.
        var lineStart = 0
        var requestLine: Range<Int>?
        /// Where the header section starts (just after the request line).
        var headerSectionStart = 0
        var headerLines: [Range<Int>] = []

        /// Back to the start of a request, keeping the line array's storage.
        mutating func reset() {
            scanned = 0
            lineStart = 0
            requestLine = nil
            headerSectionStart = 0
            headerLines.removeAll(keepingCapacity: true)
        }
    }

    private enum ChunkPhase {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailer
    }

    private struct ChunkScan {
        var phase: ChunkPhase = .sizeLine
        var scanned = 0
        var trailerLines = 0
        var trailerBytes = 0
    }

    /// Framing facts gathered from the header lines.
    private struct Framing {
        var contentLength: Int?
        var contentLengthInvalid = false
        var transferCodings: [String]?
        var transferEncodingInvalid = false
        var hostCount = 0
        var expectation: String?
    }

    /// A parser at the start of a stream.
    public init(limits: HTTPLimits = HTTPLimits(), decidesBodies: Bool = false) {
        self.limits = limits
        self.decidesBodies = decidesBodies
        bodyLimit = limits.maxBodyBytes
    }

    /// Reads the body of the request last returned as `.head`, refusing (413) a body that
    /// grows past `limit` bytes (the server-wide `limits.maxBodyBytes` still applies).
    public mutating func acceptBody(limit: Int) {
        guard let awaited = awaiting else {
            preconditionFailure("acceptBody(limit:) without a head awaiting its body")
        }
        awaiting = nil
        bodyLimit = min(limit, limits.maxBodyBytes)
        continueRequested = awaited.expectsContinue
        switch awaited.framing {
        case .length(let length):
            guard length <= bodyLimit else {
                phase = .failed(.bodyTooLarge)
                return
            }
            body.reserveCapacity(length)
            phase = .fixedBody(length: length)
        case .chunked:
            phase = .chunked
        }
    }

    /// Body bytes of the current request held so far.
    public var bufferedBodyBytes: Int { body.count }

    /// Whether the current request's body is chunked and still arriving.
    public var isReadingChunkedBody: Bool {
        if case .chunked = phase { return true }
        return false
    }

    /// Adds received bytes.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from raw memory (what a socket read fills).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    /// Whether bytes of an unfinished request have been received (a connection with none is
    /// idle and may be closed at once during shutdown).
    public var hasPartialRequest: Bool {
        switch phase {
        case .head: return start < buffer.count || awaiting != nil
        case .fixedBody, .chunked: return true
        case .failed: return false
        }
    }

    /// Whether the head of the current request is parsed and its body is being read.
    public var isReadingBody: Bool {
        switch phase {
        case .fixedBody, .chunked: return true
        case .head: return awaiting != nil
        case .failed: return false
        }
    }

    /// True once after the head of a request carrying `Expect: 100-continue` is parsed and its
    /// body is not yet complete: the caller should send `100 Continue` now.
    public mutating func takeContinueRequest() -> Bool {
        defer { continueRequested = false }
        return continueRequested
    }

    /// Parses the next request from the buffered bytes.
    public mutating func next() -> HTTPParseResult {
        let result: HTTPParseResult
        switch phase {
        case .failed(let error):
            return .error(error)
        case .head:
            if awaiting != nil { return .needMore }
            result = parseHead()
        case .fixedBody(let length):
            result = parseFixedBody(length: length)
        case .chunked:
            result = parseChunked()
        }
        switch result {
        case .needMore, .head:
            break
        case .request:
            continueRequested = false
        case .error(let error):
            phase = .failed(error)
            continueRequested = false
        }
        return result
    }

    // MARK: - Buffer

    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            if buffer.capacity > 1 << 16 {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            start = 0
        } else if start >= 1 << 14 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    /// The index of the first LF in `buffer[from..<to]`.
    @inline(__always)
    private static func findLF(_ base: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let pointer = memchr(base.baseAddress! + from, Int32(ASCII.lf), to - from) else {
            return nil
        }
        return base.baseAddress!.distance(to: pointer.assumingMemoryBound(to: UInt8.self))
    }

    // MARK: - Head

    private mutating func parseHead() -> HTTPParseResult {
        let bytes = buffer
        return bytes.withUnsafeBufferPointer { base -> HTTPParseResult in
            let end = base.count
            while true {
                guard let lf = Self.findLF(base, from: start + head.scanned, to: end) else {
                    head.scanned = end - start
                    let lineLength = end - (start + head.lineStart)
                    if head.requestLine == nil {
                        if lineLength > limits.maxRequestLineLength + 1 { return .error(.requestLineTooLong) }
                    } else if end - start - head.headerSectionStart > limits.maxHeaderBytes + 2 {
                        return .error(.headersTooLarge)
                    }
                    return .needMore
                }
                let lineBegin = start + head.lineStart
                // Size limits are checked before line syntax, with the same arithmetic as the
                // incomplete-line checks above, so the verdict never depends on how the
                // bytes were sliced into reads.
                if head.requestLine == nil {
                    if lf - lineBegin > limits.maxRequestLineLength + 1 { return .error(.requestLineTooLong) }
                } else if lf + 1 - start - head.headerSectionStart > limits.maxHeaderBytes + 2 {
                    return .error(.headersTooLarge)
                }
                guard lf > lineBegin, base[lf - 1] == ASCII.cr else { return .error(.bareLineFeed) }
                let lineEnd = lf - 1
                if head.requestLine == nil {
                    if lineEnd == lineBegin {
                        // RFC 9112 §2.2: ignore empty lines before the request line.
                        start = lf + 1
                        head.reset()
                        continue
                    }
                    head.requestLine = (lineBegin - start)..<(lineEnd - start)
                    head.headerSectionStart = lf + 1 - start
                } else if lineEnd == lineBegin {
                    return finishHead(base, headLength: lf + 1 - start)
                } else {
                    if head.headerLines.count >= limits.maxHeaderCount { return .error(.tooManyHeaders) }
                    head.headerLines.append((lineBegin - start)..<(lineEnd - start))
                }
                head.lineStart = lf + 1 - start
                head.scanned = head.lineStart
            }
        }
    }

    private mutating func finishHead(_ base: UnsafeBufferPointer<UInt8>, headLength: Int) -> HTTPParseResult {
        let requestLine = head.requestLine!
        let line = UnsafeBufferPointer(rebasing: base[(start + requestLine.lowerBound)..<(start + requestLine.upperBound)])
        let parsedLine: RequestLine
        switch RequestLine.parse(line) {
        case .success(let value): parsedLine = value
        case .failure(let error): return .error(error)
        }

        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(head.headerLines.count)
        var framing = Framing()
        for range in head.headerLines {
            let fieldLine = UnsafeBufferPointer(rebasing: base[(start + range.lowerBound)..<(start + range.upperBound)])
            let field: FieldLine
            switch FieldLine.parse(fieldLine) {
            case .success(let value): field = value
            case .failure(let error): return .error(error)
            }
            let name = UnsafeBufferPointer(rebasing: fieldLine[field.name])
            let value = UnsafeBufferPointer(rebasing: fieldLine[field.value])
            Self.noteFraming(name: name, value: value, into: &framing)
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }

        let version = parsedLine.version
        if version.minor >= 1 {
            if framing.hostCount == 0 { return .error(.missingHost) }
        }
        if framing.hostCount > 1 { return .error(.multipleHost) }

        var isChunked = false
        if let codings = framing.transferCodings {
            if framing.contentLength != nil || framing.contentLengthInvalid {
                return .error(.contentLengthWithTransferEncoding)
            }
            if version.minor == 0 { return .error(.transferEncodingInHTTP10) }
            if framing.transferEncodingInvalid || codings.isEmpty { return .error(.invalidTransferEncoding) }
            if codings.contains(where: { $0 != "chunked" }) { return .error(.unsupportedTransferCoding) }
            if codings.count != 1 { return .error(.invalidTransferEncoding) }
            isChunked = true
        }
        if framing.contentLengthInvalid { return .error(.invalidContentLength) }
        if let length = framing.contentLength, length > limits.maxBodyBytes { return .error(.bodyTooLarge) }

        let method = String(decoding: UnsafeBufferPointer(rebasing: line[parsedLine.method]), as: UTF8.self)
        var expectsContinue = false
        if version.minor >= 1, let expectation = framing.expectation {
            guard expectation.lowercased() == "100-continue" else { return .error(.unsupportedExpectation) }
            expectsContinue = true
        }

        let targetBytes = Array(UnsafeBufferPointer(rebasing: line[parsedLine.target]))
        guard let parts = RequestTarget(method: method, target: targetBytes) else {
            return .error(.invalidRequestTarget)
        }
        let request = HTTPRequest(
            method: method, target: String(decoding: targetBytes, as: UTF8.self), parts: parts,
            version: version, headers: HTTPHeaders(fields), body: [],
            remoteAddress: "", isLoopback: false)

        start += headLength
        head.reset()
        let length = framing.contentLength ?? 0
        if !isChunked && length == 0 {
            return .request(request)
        }
        pending = request
        chunk = ChunkScan()
        body = []
        let bodyFraming = isChunked ? HTTPBodyFraming.chunked : .length(length)
        awaiting = (bodyFraming, expectsContinue)
        if decidesBodies {
            return .head(request, body: bodyFraming)
        }
        acceptBody(limit: limits.maxBodyBytes)
        return isChunked ? parseChunked() : parseFixedBody(length: length)
    }

    /// Records what a header line says about framing, comparing names without allocating.
    private static func noteFraming(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, into framing: inout Framing) {
        switch name.count {
        case 4 where ASCII.equalsIgnoringCase(name, "host"):
            framing.hostCount += 1
        case 6 where ASCII.equalsIgnoringCase(name, "expect"):
            framing.expectation = String(decoding: value, as: UTF8.self)
        case 14 where ASCII.equalsIgnoringCase(name, "content-length"):
            noteContentLength(value, into: &framing)
        case 17 where ASCII.equalsIgnoringCase(name, "transfer-encoding"):
            var codings = framing.transferCodings ?? []
            for element in value.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
                let coding = String(decoding: element, as: UTF8.self)[...].trimmingOWS()
                if coding.isEmpty { continue }  // RFC 9110 §5.6.1: empty list elements are ignored.
                if !coding.utf8.allSatisfy(ASCII.isToken) {
                    // Parameters or junk; `chunked` takes no parameters, others are unsupported.
                    if coding.lowercased().hasPrefix("chunked") { framing.transferEncodingInvalid = true }
                    codings.append(coding.lowercased() + ";")
                    continue
                }
                codings.append(coding.lowercased())
            }
            framing.transferCodings = codings
        default:
            break
        }
    }

    /// Content-Length = 1*DIGIT; a list of identical values is accepted (RFC 9112 §6.3 item 5),
    /// anything else poisons the framing. Values past `Int.max` saturate and fail the limit.
    private static func noteContentLength(_ value: UnsafeBufferPointer<UInt8>, into framing: inout Framing) {
        for element in value.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            var digits = element[...]
            while let first = digits.first, first == ASCII.space || first == ASCII.tab { digits.removeFirst() }
            while let last = digits.last, last == ASCII.space || last == ASCII.tab { digits.removeLast() }
            guard !digits.isEmpty else { framing.contentLengthInvalid = true; return }
            var length = 0
            for digit in digits {
                guard digit >= 0x30 && digit <= 0x39 else { framing.contentLengthInvalid = true; return }
                let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - 0x30))
                length = overflow1 || overflow2 ? Int.max : sum
            }
            if let previous = framing.contentLength, previous != length {
                framing.contentLengthInvalid = true
                return
            }
            framing.contentLength = length
        }
    }

    // MARK: - Bodies

    /// Moves what has arrived of the body out of the read buffer, so the body is held once,
    /// in the capacity reserved for it, and the read buffer stays small.
    private mutating func parseFixedBody(length: Int) -> HTTPParseResult {
        let count = min(length - body.count, buffer.count - start)
        body.append(contentsOf: buffer[start..<(start + count)])
        start += count
        guard body.count == length else { return .needMore }
        var request = pending!
        pending = nil
        request.body = body
        body = []
        phase = .head
        return .request(request)
    }

    private mutating func parseChunked() -> HTTPParseResult {
        let bytes = buffer
        return bytes.withUnsafeBufferPointer { base -> HTTPParseResult in
            let end = base.count
            while true {
                switch chunk.phase {
                case .sizeLine:
                    guard let lf = Self.findLF(base, from: start + chunk.scanned, to: end) else {
                        chunk.scanned = end - start
                        return end - start > limits.maxChunkLineLength + 1 ? .error(.invalidChunkSize) : .needMore
                    }
                    if lf - start > limits.maxChunkLineLength + 1 { return .error(.invalidChunkSize) }
                    guard lf > start, base[lf - 1] == ASCII.cr else { return .error(.bareLineFeed) }
                    let line = UnsafeBufferPointer(rebasing: base[start..<(lf - 1)])
                    let size: Int
                    switch ChunkSizeLine.parse(line, maxSize: bodyLimit - body.count) {
                    case .success(let value): size = value
                    case .failure(let error): return .error(error)
                    }
                    start = lf + 1
                    chunk.scanned = 0
                    chunk.phase = size == 0 ? .trailer : .data(remaining: size)
                case .data(let remaining):
                    let count = min(remaining, end - start)
                    body.append(contentsOf: UnsafeBufferPointer(rebasing: base[start..<(start + count)]))
                    start += count
                    if count < remaining {
                        chunk.phase = .data(remaining: remaining - count)
                        return .needMore
                    }
                    chunk.phase = .dataEnd
                case .dataEnd:
                    let available = end - start
                    if available >= 1 && base[start] != ASCII.cr { return .error(.invalidChunkTerminator) }
                    if available < 2 { return .needMore }
                    guard base[start + 1] == ASCII.lf else { return .error(.invalidChunkTerminator) }
                    start += 2
                    chunk.phase = .sizeLine
                case .trailer:
                    guard let lf = Self.findLF(base, from: start + chunk.scanned, to: end) else {
                        chunk.scanned = end - start
                        return chunk.trailerBytes + end - start > limits.maxHeaderBytes + 2
                            ? .error(.headersTooLarge) : .needMore
                    }
                    if chunk.trailerBytes + lf - start > limits.maxHeaderBytes + 2 { return .error(.headersTooLarge) }
                    guard lf > start, base[lf - 1] == ASCII.cr else { return .error(.bareLineFeed) }
                    if lf - 1 == start {
                        start = lf + 1
                        var request = pending!
                        pending = nil
                        request.body = body
                        body = []
                        phase = .head
                        return .request(request)
                    }
                    chunk.trailerBytes += lf + 1 - start
                    chunk.trailerLines += 1
                    if chunk.trailerBytes > limits.maxHeaderBytes + 2 { return .error(.headersTooLarge) }
                    if chunk.trailerLines > limits.maxHeaderCount { return .error(.tooManyHeaders) }
                    // Trailers are validated like header lines and then dropped: nothing here
                    // may change the framing or the meaning of the request (RFC 9110 §6.5.1).
                    if case .failure = FieldLine.parse(UnsafeBufferPointer(rebasing: base[start..<(lf - 1)])) {
                        return .error(.invalidTrailer)
                    }
                    start = lf + 1
                    chunk.scanned = 0
                }
            }
        }
    }
}
