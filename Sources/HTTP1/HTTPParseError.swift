/// Why a request could not be parsed. Each case answers with one fixed status, and the
/// connection is closed after the answer because the byte stream can no longer be trusted.
public enum HTTPParseError: Error, Sendable, Equatable, CaseIterable {
    /// The method is empty or has a byte outside RFC 9110 `tchar`.
    case invalidMethod
    /// The target is empty, has a forbidden byte, a bad percent escape, or an unknown form.
    case invalidRequestTarget
    /// The version is not `HTTP/DIGIT.DIGIT`.
    case invalidVersion
    /// A request line without a version: an HTTP/0.9 simple request, which we do not speak.
    case http09Request
    /// A well-formed version other than HTTP/1.x.
    case unsupportedVersion
    /// The request line exceeds `HTTPLimits.maxRequestLineLength`.
    case requestLineTooLong
    /// The header section exceeds `HTTPLimits.maxHeaderBytes`.
    case headersTooLarge
    /// More header lines than `HTTPLimits.maxHeaderCount`.
    case tooManyHeaders
    /// A header name that is empty, has a byte outside `tchar`, or whitespace before the colon.
    case invalidHeaderName
    /// A header line without a colon.
    case missingColon
    /// A header value with a control character (NUL, DEL, C0 other than HTAB).
    case invalidHeaderValue
    /// A header line starting with whitespace: obsolete line folding (RFC 9112 §5.2).
    case obsoleteLineFolding
    /// A LF not preceded by CR where a line ends (RFC 9112 §2.2 lets us reject it).
    case bareLineFeed
    /// A CR not followed by LF.
    case bareCarriageReturn
    /// An HTTP/1.1 request without a Host header (RFC 9112 §3.2).
    case missingHost
    /// More than one Host header.
    case multipleHost
    /// Both Content-Length and Transfer-Encoding: a request-smuggling vector (RFC 9112 §6.3).
    case contentLengthWithTransferEncoding
    /// A Content-Length that is not digits, or differing values.
    case invalidContentLength
    /// A declared or received body longer than `HTTPLimits.maxBodyBytes`.
    case bodyTooLarge
    /// Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: treat the framing as faulty).
    case transferEncodingInHTTP10
    /// A Transfer-Encoding whose last coding is not `chunked`, or that repeats `chunked`.
    case invalidTransferEncoding
    /// A transfer coding other than `chunked`.
    case unsupportedTransferCoding
    /// A chunk size that is missing, not hex, or has trailing garbage.
    case invalidChunkSize
    /// A malformed chunk extension.
    case invalidChunkExtension
    /// Chunk data not followed by CRLF.
    case invalidChunkTerminator
    /// A malformed trailer field line.
    case invalidTrailer
    /// An `Expect` other than `100-continue`.
    case unsupportedExpectation

    /// The status to answer with.
    public var status: Int {
        switch self {
        case .requestLineTooLong: return 414
        case .headersTooLarge, .tooManyHeaders: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferCoding: return 501
        case .unsupportedVersion: return 505
        case .unsupportedExpectation: return 417
        default: return 400
        }
    }

    /// A sentence for the problem document's `detail`.
    public var detail: String {
        switch self {
        case .invalidMethod: return "The request method is not a valid token."
        case .invalidRequestTarget: return "The request target is malformed."
        case .invalidVersion: return "The HTTP version is malformed."
        case .http09Request: return "HTTP/0.9 requests are not supported."
        case .unsupportedVersion: return "Only HTTP/1.0 and HTTP/1.1 are supported."
        case .requestLineTooLong: return "The request line is too long."
        case .headersTooLarge: return "The request header section is too large."
        case .tooManyHeaders: return "The request has too many header fields."
        case .invalidHeaderName: return "A header field name is not a valid token."
        case .missingColon: return "A header line has no colon."
        case .invalidHeaderValue: return "A header field value contains a control character."
        case .obsoleteLineFolding: return "Obsolete line folding is not accepted."
        case .bareLineFeed: return "A line ends with LF instead of CRLF."
        case .bareCarriageReturn: return "A CR is not followed by LF."
        case .missingHost: return "An HTTP/1.1 request needs exactly one Host header."
        case .multipleHost: return "The request has more than one Host header."
        case .contentLengthWithTransferEncoding:
            return "Content-Length and Transfer-Encoding must not be sent together."
        case .invalidContentLength: return "Content-Length is not a single non-negative integer."
        case .bodyTooLarge: return "The request body is larger than the server accepts."
        case .transferEncodingInHTTP10: return "Transfer-Encoding is not allowed in HTTP/1.0."
        case .invalidTransferEncoding: return "Transfer-Encoding must end with a single chunked."
        case .unsupportedTransferCoding: return "Only the chunked transfer coding is supported."
        case .invalidChunkSize: return "A chunk size is malformed."
        case .invalidChunkExtension: return "A chunk extension is malformed."
        case .invalidChunkTerminator: return "Chunk data is not followed by CRLF."
        case .invalidTrailer: return "A trailer field is malformed."
        case .unsupportedExpectation: return "Only the 100-continue expectation is supported."
        }
    }
}
