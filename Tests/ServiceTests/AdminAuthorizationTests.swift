import HTTP1
import Testing
@testable import Service

@Suite struct AdminAuthorizationTests {
    let secret = "s3cret-token-value"

    /// Without a token, loopback clients are admins and everyone else gets 403.
    @Test func withoutATokenOnlyLoopbackIsAllowed() throws {
        let open = AdminAuthorization(token: nil)
        #expect(open.decide(authorization: nil, isLoopback: true) == .allowed)
        #expect(open.decide(authorization: "Bearer anything", isLoopback: false) == .forbidden)
        #expect(AdminAuthorization(token: "").decide(authorization: nil, isLoopback: false) == .forbidden)
        let remote = try HTTPRequest(method: "POST", target: "/train", remoteAddress: "10.0.0.2", isLoopback: false)
        let error = #expect(throws: HTTPError.self) { try open.authorize(remote) }
        #expect(error?.status == 403)
    }

    /// With a token, loopback is no exemption: the right bearer token is required.
    @Test func withATokenTheBearerTokenIsRequired() {
        let guarded = AdminAuthorization(token: secret)
        #expect(guarded.decide(authorization: "Bearer \(secret)", isLoopback: false) == .allowed)
        #expect(guarded.decide(authorization: "bearer \(secret)", isLoopback: false) == .allowed)
        #expect(guarded.decide(authorization: "BEARER  \(secret) ", isLoopback: false) == .allowed)
        for bad in [nil, "", "Bearer", "Bearer ", "Basic \(secret)", "Bearer wrong", "Bearer \(secret)x",
                    "Bearer \(secret.dropLast())", "Bearer\(secret)", secret] {
            let decision = guarded.decide(authorization: bad, isLoopback: true)
            guard case .unauthorized(let detail) = decision else {
                Issue.record("\(bad ?? "nil") was not refused: \(decision)")
                continue
            }
            #expect(!detail.contains(secret), "the detail must not echo the token")
        }
    }

    /// A refused request answers 401 with `WWW-Authenticate: Bearer`.
    @Test func unauthorizedCarriesTheChallenge() throws {
        let request = try HTTPRequest(method: "POST", target: "/train", headers: ["Authorization": "Bearer nope"],
                                      isLoopback: true)
        let error = #expect(throws: HTTPError.self) { try AdminAuthorization(token: secret).authorize(request) }
        #expect(error?.status == 401)
        #expect(error?.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
    }

    /// The comparison is exact on content and length, whichever is longer.
    @Test func constantTimeComparison() {
        let cases: [(String, String, Bool)] = [
            ("", "", true), ("abc", "abc", true), ("abc", "abd", false), ("abc", "ab", false),
            ("ab", "abc", false), ("abc\u{0}", "abc", false), ("", "a", false),
        ]
        for (a, b, equal) in cases {
            #expect(AdminAuthorization.constantTimeEquals(Array(a.utf8), Array(b.utf8)) == equal, "\(a) vs \(b)")
        }
    }
}
