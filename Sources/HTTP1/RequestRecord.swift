/// What the server reports about each answered request, for metrics.
public struct RequestRecord: Sendable, Equatable {
    /// The method, or "-" when the request could not be parsed.
    public var method: String
    /// The route template that answered, nil when no route matched (404, parse errors).
    public var route: String?
    /// The decoded path, or "-" when the request could not be parsed.
    public var path: String
    /// The response status.
    public var status: Int
    /// Body bytes sent (0 for HEAD).
    public var responseBytes: Int
    /// From the complete request to its response being queued for writing.
    public var durationSeconds: Double

    /// A record with every field given.
    public init(method: String, route: String?, path: String, status: Int, responseBytes: Int, durationSeconds: Double) {
        self.method = method
        self.route = route
        self.path = path
        self.status = status
        self.responseBytes = responseBytes
        self.durationSeconds = durationSeconds
    }
}
