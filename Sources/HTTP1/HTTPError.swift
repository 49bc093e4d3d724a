/// An error a handler throws to answer with a problem response of its choosing.
public struct HTTPError: Error, Sendable {
    /// The status to answer with.
    public var status: Int
    /// The problem title; the reason phrase when nil.
    public var title: String?
    /// What went wrong, for the client.
    public var detail: String
    /// The problem type URI; `about:blank` when nil.
    public var type: String?
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPHeaders

    /// An error that answers `status` with a problem document.
    public init(status: Int, title: String? = nil, detail: String, type: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers
    }

    /// The problem response this error stands for.
    public var response: HTTPResponse {
        .problem(status: status, title: title, detail: detail, type: type, headers: headers)
    }
}
