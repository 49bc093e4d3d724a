import TestSupport

/// A request as an `x-tests` entry documents it: exactly the listed headers and body, sent on
/// a connection of its own (`Connection: close`) by the tests' one raw client, so the server
/// sees exactly the bytes the spec documents and the check sees exactly what it answers.
public struct ConformanceRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whether to declare the body with `Content-Length` (always, for POST, PUT and PATCH).
    public var framed = true

    /// Sends the request to the server on loopback `port` and reads its answer.
    public func send(port: Int) throws -> RawHTTPResponse {
        let client = try RawHTTPClient(port: port, readTimeout: 30)
        let declaresBody = framed && (!body.isEmpty || ["POST", "PUT", "PATCH"].contains(method))
        let listed = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        client.send(RawHTTPClient.head(method: method, path: target, headers: [("Connection", "close")] + listed,
                                       contentLength: declaresBody ? body.count : nil) + body)
        return try client.readResponse(forHead: method == "HEAD")
    }
}
