@testable import HTTP1

/// The parts of a parsed request a test compares.
struct RequestSummary: Equatable, CustomStringConvertible, Sendable {
    var method: String
    var target: String
    var path: String
    var query: [String]
    var version: HTTPVersion
    var headers: [String]
    var body: [UInt8]

    init(_ request: HTTPRequest) {
        method = request.method
        target = request.target
        path = request.path
        query = request.query.map { "\($0.name)=\($0.value)" }
        version = request.version
        headers = request.headers.map { "\($0.name): \($0.value)" }
        body = request.body
    }

    init(method: String = "GET", target: String = "/", path: String? = nil, query: [String] = [],
         version: HTTPVersion = .http1_1, headers: [String] = ["Host: x"], body: String = "") {
        self.method = method
        self.target = target
        self.path = path ?? target
        self.query = query
        self.version = version
        self.headers = headers
        self.body = Array(body.utf8)
    }

    var description: String { "\(method) \(target) \(version) \(headers) body=\(body.count)B" }
}

/// What a parser made of a whole input: the requests in order, then an error or nothing.
struct ParseOutcome: Equatable {
    var requests: [RequestSummary] = []
    var error: HTTPParseError?
    /// How many times the parser asked for `100 Continue`.
    var continueRequests = 0
}

/// Ways of handing the same bytes to the parser; every one must give the same outcome.
enum Feeding: CaseIterable, CustomStringConvertible {
    case allAtOnce
    case byteByByte
    case threeByteSlices

    var description: String {
        switch self {
        case .allAtOnce: return "all at once"
        case .byteByByte: return "byte by byte"
        case .threeByteSlices: return "three-byte slices"
        }
    }

    var sliceLength: Int? {
        switch self {
        case .allAtOnce: return nil
        case .byteByByte: return 1
        case .threeByteSlices: return 3
        }
    }
}

/// Feeds `bytes` to a fresh parser in slices of `sliceLength` (or all at once), draining
/// every complete request after each slice, and stops at the first error. With
/// `decidingBodies`, every head that stops for a decision has its body accepted at once.
func parse(_ bytes: [UInt8], limits: HTTPLimits = testLimits, sliceLength: Int? = nil,
           decidingBodies: Bool = false) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits, decidesBodies: decidingBodies)
    var outcome = ParseOutcome()
    var offset = 0
    let step = sliceLength ?? max(bytes.count, 1)
    repeat {
        let end = min(bytes.count, offset + step)
        parser.append(bytes[offset..<end])
        offset = end
        drain: while true {
            switch parser.next() {
            case .needMore:
                if parser.takeContinueRequest() { outcome.continueRequests += 1 }
                break drain
            case .head:
                parser.acceptBody(limit: .max)
            case .request(let request):
                outcome.requests.append(RequestSummary(request))
            case .error(let error):
                outcome.error = error
                return outcome
            }
        }
    } while offset < bytes.count
    return outcome
}

func parse(_ text: String, limits: HTTPLimits = testLimits, feeding: Feeding = .allAtOnce,
           decidingBodies: Bool = false) -> ParseOutcome {
    parse(Array(text.utf8), limits: limits, sliceLength: feeding.sliceLength, decidingBodies: decidingBodies)
}

/// Small limits so the limit cases stay short.
let testLimits = HTTPLimits(
    maxRequestLineLength: 100, maxHeaderBytes: 300, maxHeaderCount: 10, maxBodyBytes: 1000,
    maxChunkLineLength: 64)
