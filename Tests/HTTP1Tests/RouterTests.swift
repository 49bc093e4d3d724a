import Foundation
import Synchronization
import Testing
@testable import HTTP1

/// Holds what a completion handed over (the router's completions are `@Sendable`).
final class Answer: Sendable {
    private let stored = Mutex<(HTTPResponse, String?)?>(nil)

    var value: (HTTPResponse, String?)? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

/// Answers `request` through the router synchronously (the handlers here answer at once).
func respond(_ router: Router, _ method: String, _ target: String) throws -> (HTTPResponse, String?) {
    let request = try HTTPRequest(method: method, target: target)
    let answer = Answer()
    router.respond(to: request) { response, route in answer.value = (response, route) }
    return try #require(answer.value)
}

struct Failure: Error {}

@Suite("Router")
struct RouterTests {
    func makeRouter() -> Router {
        let router = Router()
        router.add(method: "GET", path: "/train") { _ in .text(200, "list") }
        router.add(method: "POST", path: "/train") { _ in .text(202, "queued") }
        router.add(method: "GET", path: "/train/{id}") { request in .text(200, "job \(request.pathParameters["id"]!)") }
        router.add(method: "DELETE", path: "/train/{id}") { _ in throw HTTPError(status: 409, detail: "already finished") }
        router.add(method: "GET", path: "/models/{id}") { request in .text(200, "model \(request.pathParameters["id"]!)") }
        router.add(method: "GET", path: "/models/active") { _ in .text(200, "the active one") }
        router.add(method: "POST", path: "/models/{id}/activate") { request in .text(200, "activated \(request.pathParameters["id"]!)") }
        router.add(method: "GET", path: "/boom") { _ in throw Failure() }
        return router
    }

    /// Templates capture their parameters, percent-decoded, and name the route.
    @Test func parametersAndRouteNames() throws {
        let router = makeRouter()
        let (job, route) = try respond(router, "GET", "/train/abc%2D1")
        #expect(String(decoding: job.body, as: UTF8.self) == "job abc-1")
        #expect(route == "/train/{id}")
        let (activate, activateRoute) = try respond(router, "POST", "/models/m7/activate")
        #expect(String(decoding: activate.body, as: UTF8.self) == "activated m7")
        #expect(activateRoute == "/models/{id}/activate")
    }

    /// An escaped slash stays inside its segment: `/train/a%2Fb` is job `a/b`, and
    /// `/train%2Fx` is not the literal `/train` route family.
    @Test func encodedSlashStaysInItsSegment() throws {
        let (job, route) = try respond(makeRouter(), "GET", "/train/a%2Fb")
        #expect(String(decoding: job.body, as: UTF8.self) == "job a/b")
        #expect(route == "/train/{id}")
        let (literal, literalRoute) = try respond(makeRouter(), "GET", "/models%2Factive")
        #expect(literal.status == 404)
        #expect(literalRoute == nil)
    }

    /// A route that needs a body answers 411 to a request that declares none, before its
    /// handler runs; a declared empty body, or a chunked one, reaches the handler. Routes
    /// without the flag take an undeclared body as empty.
    @Test func requiresBodyAnswers411WithoutFraming() throws {
        let router = Router()
        router.add(method: "POST", path: "/predict", requiresBody: true) { request in .text(200, "\(request.body.count)") }
        router.add(method: "POST", path: "/items/{id}", requiresBody: true) { _ in .text(200, "item") }
        router.add(method: "POST", path: "/poke") { _ in .text(200, "poked") }
        func send(_ target: String, _ headers: HTTPHeaders) throws -> HTTPResponse {
            let answer = Answer()
            router.respond(to: try HTTPRequest(method: "POST", target: target, headers: headers)) { response, route in
                answer.value = (response, route)
            }
            return try #require(answer.value).0
        }
        let bare = try send("/predict", [:])
        #expect(bare.status == 411)
        #expect(bare.headers["content-type"] == "application/problem+json")
        #expect(String(decoding: bare.body, as: UTF8.self).contains("Content-Length"))
        #expect(try send("/items/7", [:]).status == 411)
        #expect(try send("/predict", ["Content-Length": "0"]).status == 200)
        #expect(try send("/predict", ["Transfer-Encoding": "chunked"]).status == 200)
        #expect(try send("/poke", [:]).status == 200)
    }

    /// A literal segment wins over a parameter, whatever the registration order.
    @Test func literalBeatsParameter() throws {
        let (response, route) = try respond(makeRouter(), "GET", "/models/active")
        #expect(String(decoding: response.body, as: UTF8.self) == "the active one")
        #expect(route == "/models/active")
    }

    /// Unknown paths (including an empty parameter or an extra segment) are 404 with no route.
    @Test(arguments: ["/nothing", "/train/", "/train/1/extra", "/models//activate"])
    func notFound(path: String) throws {
        let (response, route) = try respond(makeRouter(), "GET", path)
        #expect(response.status == 404)
        #expect(route == nil)
        #expect(response.headers["content-type"] == "application/problem+json")
    }

    /// A known path with another method is 405 listing the methods, HEAD where GET exists.
    @Test func methodNotAllowed() throws {
        let (response, route) = try respond(makeRouter(), "PUT", "/train/7")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS")
        #expect(route == "/train/{id}")
    }

    /// HEAD falls back to the GET handler.
    @Test func headUsesGet() throws {
        let (response, route) = try respond(makeRouter(), "HEAD", "/train")
        #expect(String(decoding: response.body, as: UTF8.self) == "list")
        #expect(route == "/train")
    }

    /// A thrown HTTPError becomes its problem; any other error a 500 that reveals nothing.
    @Test func thrownErrors() throws {
        let (conflict, _) = try respond(makeRouter(), "DELETE", "/train/1")
        #expect(conflict.status == 409)
        #expect(String(decoding: conflict.body, as: UTF8.self).contains("already finished"))
        let (failure, _) = try respond(makeRouter(), "GET", "/boom")
        #expect(failure.status == 500)
        #expect(!String(decoding: failure.body, as: UTF8.self).contains("Failure"))
    }

    /// An async handler answers through its responder; only the first answer counts.
    @Test func asyncHandlerAnswersOnce() throws {
        let router = Router()
        router.add(method: "POST", path: "/predict") { _, responder in
            DispatchQueue.global().async {
                responder.send(.text(200, "first"))
                responder.send(.text(500, "second"))
            }
        }
        let done = DispatchSemaphore(value: 0)
        let answers = RecordLog()
        router.respond(to: try HTTPRequest(method: "POST", target: "/predict")) { response, route in
            answers.append(RequestRecord(method: "POST", route: route, path: "/predict", status: response.status,
                                         responseBytes: response.body.count, durationSeconds: 0))
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 2) == .success)
        usleep(20_000)
        #expect(answers.records.map(\.status) == [200])
        #expect(answers.records.first?.route == "/predict")
    }

    /// Query strings are split and decoded; `queryValue` finds the first value.
    @Test func queryParsing() throws {
        let request = try HTTPRequest(method: "GET", target: "/train?limit=5&cursor=a%26b&limit=9&empty")
        #expect(request.queryValue("limit") == "5")
        #expect(request.queryValue("cursor") == "a&b")
        #expect(request.queryValue("empty") == "")
        #expect(request.queryValue("missing") == nil)
    }
}
