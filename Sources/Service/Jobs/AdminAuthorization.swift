import HTTP1

/// The contract's rule for admin operations (`POST /train`, `DELETE /train/{id}`,
/// `POST /models/{id}/activate`): `Authorization: Bearer <token>` is required, from every
/// client (401 with `WWW-Authenticate: Bearer` otherwise). Where a client connects from is
/// never trusted: behind a reverse proxy on the same host or a service-mesh sidecar (Istio
/// connects from 127.0.0.6) every client is loopback. There is always a token: the configured
/// one or the one generated into the state directory (`AdminToken`).
///
/// The token is compared in constant time and never appears in an error or a log line.
public struct AdminAuthorization: Sendable {
    private let token: [UInt8]

    /// - Parameter token: the admin token (`AdminToken.resolve` gives it); must not be empty.
    public init(token: String) {
        precondition(!token.isEmpty, "an admin token is required: AdminToken.resolve always gives one")
        self.token = Array(token.utf8)
    }

    /// What to do with a request.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// 401: no token or the wrong one; `detail` says which without echoing anything.
        case unauthorized(detail: String)
    }

    /// Decides from the `Authorization` header value alone.
    public func decide(authorization: String?) -> Decision {
        guard let authorization, let presented = Self.bearerCredentials(authorization) else {
            return .unauthorized(detail: "This operation needs the admin token: send Authorization: Bearer <token> "
                                 + "(`mnist-cnn token --state-dir DIR` prints a generated one).")
        }
        return Self.constantTimeEquals(presented, token)
            ? .allowed : .unauthorized(detail: "The admin token is not valid.")
    }

    /// Checks `request`, throwing the contract's problem when it is not allowed.
    /// - Throws: `HTTPError` 401 (with `WWW-Authenticate: Bearer`).
    public func authorize(_ request: HTTPRequest) throws {
        switch decide(authorization: request.headers["authorization"]) {
        case .allowed:
            return
        case .unauthorized(let detail):
            throw HTTPError(status: 401, detail: detail, headers: ["WWW-Authenticate": #"Bearer realm="mnist-cnn""#])
        }
    }

    /// The credentials of a `Bearer` authorization (scheme case-insensitive, RFC 9110 §11.1;
    /// RFC 6750 §2.1), nil for any other scheme or an empty token.
    static func bearerCredentials(_ value: String) -> [UInt8]? {
        let bytes = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == 0x20 else { return nil }
        for index in 0..<scheme.count where bytes[index] | 0x20 != scheme[index] { return nil }
        var start = scheme.count
        while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        var end = bytes.count
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return start < end ? Array(bytes[start..<end]) : nil
    }

    /// Whether `a` equals `b`, taking the same time whatever the content and wherever they
    /// first differ: it always walks the longer length, reading zero past either end, and
    /// folds the length difference in, so neither a prefix match nor a length is leaked by
    /// an early exit.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let length = max(a.count, b.count)
        var difference = UInt64(truncatingIfNeeded: a.count ^ b.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for index in 0..<length {
                    let x = index < a.count ? a[index] : 0
                    let y = index < b.count ? b[index] : 0
                    difference |= UInt64(x ^ y)
                }
            }
        }
        return difference == 0
    }
}
