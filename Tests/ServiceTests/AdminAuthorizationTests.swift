import HTTP1
import Foundation
import Testing
import TestSupport
@testable import Service

@Suite struct AdminAuthorizationTests {
    let secret = "s3cret-token-value"

    /// Loopback is no exemption (a same-host proxy or a sidecar makes every client loopback):
    /// a loopback request without the token is refused with 401, like any other.
    @Test func loopbackIsNotTrusted() throws {
        let guarded = AdminAuthorization(token: secret)
        let local = try HTTPRequest(method: "POST", target: "/train", remoteAddress: "127.0.0.6", isLoopback: true)
        let error = #expect(throws: HTTPError.self) { try guarded.authorize(local) }
        #expect(error?.status == 401)
        let withToken = try HTTPRequest(method: "POST", target: "/train", headers: ["Authorization": "Bearer \(secret)"],
                                        remoteAddress: "10.0.0.2", isLoopback: false)
        #expect(throws: Never.self) { try guarded.authorize(withToken) }
    }

    /// The right bearer token is required; the scheme is case-insensitive, nothing else is lenient.
    @Test func theBearerTokenIsRequired() {
        let guarded = AdminAuthorization(token: secret)
        #expect(guarded.decide(authorization: "Bearer \(secret)") == .allowed)
        #expect(guarded.decide(authorization: "bearer \(secret)") == .allowed)
        #expect(guarded.decide(authorization: "BEARER  \(secret) ") == .allowed)
        for bad in [nil, "", "Bearer", "Bearer ", "Basic \(secret)", "Bearer wrong", "Bearer \(secret)x",
                    "Bearer \(secret.dropLast())", "Bearer\(secret)", secret] {
            let decision = guarded.decide(authorization: bad)
            guard case .unauthorized(let detail) = decision else {
                Issue.record("\(bad ?? "nil") was not refused: \(decision)")
                continue
            }
            #expect(!detail.contains(secret), "the detail must not echo the token")
        }
    }

    /// Without a configured token one is generated into the state directory (mode 0600, 64
    /// hex digits), the next start reads the same one, and a configured token wins.
    @Test func generatedTokenIsSharedThroughTheStateDirectory() throws {
        let directory = try TemporaryDirectory(prefix: "admin-token")
        defer { directory.remove() }
        let state = StateDirectory(root: directory.path)
        let (first, firstSource) = try AdminToken.resolve(configured: nil, state: state)
        #expect(firstSource == .stateFile(path: state.adminTokenPath, created: true))
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit))
        let mode = try FileManager.default.attributesOfItem(atPath: state.adminTokenPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(AdminToken.fileIsPrivate(state: state))
        chmod(state.adminTokenPath, 0o644)
        #expect(!AdminToken.fileIsPrivate(state: state))
        let (second, secondSource) = try AdminToken.resolve(configured: nil, state: state)
        #expect(second == first && secondSource == .stateFile(path: state.adminTokenPath, created: false))
        #expect(try AdminToken.read(state: state) == first)
        #expect(try AdminToken.resolve(configured: "configured-token", state: state) == ("configured-token", .configured))
        try Data("short\n".utf8).write(to: URL(fileURLWithPath: state.adminTokenPath))
        #expect(throws: AdminTokenError.unusable(path: state.adminTokenPath)) { try AdminToken.read(state: state) }
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
