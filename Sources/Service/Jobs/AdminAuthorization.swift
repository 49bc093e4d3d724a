import HTTP1

/// The contract's rule for admin operations (`POST /train`, `DELETE /train/{id}`,
/// `POST /models/{id}/activate`): with a token configured, `Authorization: Bearer <token>`
/// is required (401 with `WWW-Authenticate: Bearer` otherwise); without one, only loopback
/// clients are served (403 for anyone else).
///
/// The token is compared in constant time and never appears in an error or a log line.
public struct AdminAuthorization: Sendable {
    private let token: [UInt8]?

    /// - Parameter token: the admin token, or nil (or empty) for loopback-only access.
    public init(token: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    /// What to do with a request.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// 401: no token or the wrong one; `detail` says which without echoing anything.
        case unauthorized(detail: String)
        /// 403: no token is configured and the client is not on loopback.
        case forbidden
    }

    /// Decides from the `Authorization` header value and whether the peer is on loopback.
    public func decide(authorization: String?, isLoopback: Bool) -> Decision {
        guard let token else {
            return isLoopback ? .allowed : .forbidden
        }
        guard let authorization, let presented = Self.bearerCredentials(authorization) else {
            return .unauthorized(detail: "This operation needs an admin token: send Authorization: Bearer <token>.")
        }
        return Self.constantTimeEquals(presented, token)
            ? .allowed : .unauthorized(detail: "The admin token is not valid.")
    }

    /// Checks `request`, throwing the contract's problem when it is not allowed.
    /// - Throws: `HTTPError` 401 (with `WWW-Authenticate: Bearer`) or 403.
    public func authorize(_ request: HTTPRequest) throws {
        switch decide(authorization: request.headers["authorization"], isLoopback: request.isLoopback) {
        case .allowed:
            return
        case .unauthorized(let detail):
            throw HTTPError(status: 401, detail: detail, headers: ["WWW-Authenticate": #"Bearer realm="mnist-cnn""#])
        case .forbidden:
            throw HTTPError(status: 403, detail: "Admin operations are accepted from loopback clients only "
                            + "while no admin token is configured (--admin-token / MNIST_CNN_ADMIN_TOKEN).")
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
