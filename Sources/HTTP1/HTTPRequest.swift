/// One parsed HTTP request, with its whole body read.
public struct HTTPRequest: Sendable {
    /// The method token exactly as sent (methods are case-sensitive, RFC 9110 §9.1).
    public var method: String
    /// The raw request-target from the request line (origin-, absolute- or asterisk-form).
    public var target: String
    /// The percent-decoded path of the target.
    public var path: String
    /// The query parameters in order, `+` and percent escapes decoded.
    public var query: [(name: String, value: String)]
    /// HTTP/1.0 or HTTP/1.1 (a later 1.x is treated as 1.1, RFC 9110 §2.5).
    public var version: HTTPVersion
    /// The header fields in the order received.
    public var headers: HTTPHeaders
    /// The body with any chunked framing removed.
    public var body: [UInt8]
    /// Values captured by the router from `{name}` segments of the route template.
    public var pathParameters: [String: String]
    /// The peer's address (IPv4 dotted or IPv6 text), empty for requests not from a socket.
    public var remoteAddress: String
    /// Whether the peer is on the loopback network (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
    public var isLoopback: Bool
    /// Set only when the path has an escaped slash; the router matches these segments so
    /// that `/train/a%2Fb` is the id `a/b`, not two segments.
    var segmentsWithEncodedSlash: [String]?

    /// A request built in code, mainly for tests of handlers.
    public init(
        method: String, target: String, version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        remoteAddress: String = "", isLoopback: Bool = false
    ) throws {
        guard let parts = RequestTarget(method: method, target: Array(target.utf8)) else {
            throw HTTPParseError.invalidRequestTarget
        }
        self.init(method: method, target: target, parts: parts, version: version, headers: headers,
                  body: body, remoteAddress: remoteAddress, isLoopback: isLoopback)
    }

    init(
        method: String, target: String, parts: RequestTarget, version: HTTPVersion,
        headers: HTTPHeaders, body: [UInt8], remoteAddress: String, isLoopback: Bool
    ) {
        self.method = method
        self.target = target
        self.path = parts.path
        self.query = parts.query
        self.version = version
        self.headers = headers
        self.body = body
        self.pathParameters = [:]
        self.remoteAddress = remoteAddress
        self.isLoopback = isLoopback
        self.segmentsWithEncodedSlash = parts.segmentsWithEncodedSlash
    }

    /// The first query value called `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The parsed `Content-Type`, nil when absent or malformed.
    public var contentType: MediaType? {
        headers["content-type"].flatMap(MediaType.init(parsing:))
    }

    /// Whether the request's header declares a body (Content-Length, even 0, or
    /// Transfer-Encoding); without either a request has no body at all (RFC 9112 §6.3).
    public var declaresBody: Bool {
        headers.contains("content-length") || headers.contains("transfer-encoding")
    }

    /// Whether the client asked to keep the connection open after this request: the default
    /// in HTTP/1.1 unless `Connection: close`; in HTTP/1.0 only with `Connection: keep-alive`
    /// (RFC 9112 §9.3).
    public var wantsKeepAlive: Bool {
        if version.minor >= 1 {
            return !headers.containsToken("close", for: "connection")
        }
        return headers.containsToken("keep-alive", for: "connection")
            && !headers.containsToken("close", for: "connection")
    }
}
