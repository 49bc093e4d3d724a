#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A response a handler returns. The server adds `Date`, `Server`, `Content-Length` and the
/// keep-alive header, and drops the body for `HEAD`.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The handler's headers; framing headers are the server's and are replaced.
    public var headers: HTTPHeaders
    /// The complete body.
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from bytes that already hold JSON (sent as they are, not encoded
    /// again: this overload wins over the `Encodable` one for `[UInt8]`).
    public static func json(_ status: Int, _ json: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var allHeaders = headers
        allHeaders.replaceOrAdd(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: allHeaders, body: json)
    }

    /// A JSON response from `Data` that already holds JSON (not re-encoded as base64).
    public static func json(_ status: Int, _ json: Data, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        self.json(status, [UInt8](json), headers: headers)
    }

    /// A JSON response encoding `value` (keys sorted, so output is stable for tests and caches).
    ///
    /// `[UInt8]` and `Data` are taken to be JSON already and sent unchanged, whichever
    /// overload the compiler picks, so ready-made JSON is never re-encoded as an array or
    /// base64.
    public static func json<Value: Encodable>(
        _ status: Int, _ value: Value, headers: HTTPHeaders = HTTPHeaders(),
        encoder: JSONEncoder = HTTPResponse.defaultJSONEncoder()
    ) throws -> HTTPResponse {
        if let bytes = value as? [UInt8] { return json(status, bytes, headers: headers) }
        if let data = value as? Data { return json(status, data, headers: headers) }
        return json(status, try encoder.encode(value), headers: headers)
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var allHeaders = headers
        allHeaders.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: allHeaders, body: Array(text.utf8))
    }

    /// The encoder `json(_:_:)` uses unless given another: sorted keys, unescaped slashes.
    public static func defaultJSONEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The standard reason phrase for `status` (RFC 9110 §15), "Unknown" for others.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}
