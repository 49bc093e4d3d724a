import Logging

/// Maps a method and a path to a handler, with `{name}` template segments.
///
/// Register every route before the server starts; lookups are then read-only and safe from
/// any thread. Each route is named by its template (`/train/{id}`) so metrics stay bounded.
// @unchecked: routes are added before the server starts and only read afterwards, and the
// handlers it stores are called on whatever thread the server runs them on, by contract.
public final class Router: @unchecked Sendable {
    /// A handler that answers at once. It runs on a server event-loop thread, so it must be
    /// quick; anything slow belongs in an `AsyncHandler`.
    public typealias Handler = (HTTPRequest) throws -> HTTPResponse
    /// A handler that answers later through its `HTTPResponder`, from any thread.
    public typealias AsyncHandler = (HTTPRequest, HTTPResponder) -> Void
    /// A check on the request head, run before `100 Continue` is sent and before a byte of the
    /// body is read: it returns the refusal to answer with (401, 403, ...), or nil to go on.
    /// It runs on an event-loop thread and sees the head only (`body` is empty).
    public typealias Admission = (HTTPRequest) -> HTTPResponse?

    enum RouteHandler {
        case sync(Handler)
        case async(AsyncHandler)
    }

    private enum Segment: Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route {
        var method: String
        var template: String
        var segments: [Segment]
        var requiresBody: Bool
        /// The largest body this route reads; 0 for routes that take none.
        var maxBodyBytes: Int
        var admission: Admission?
        var handler: RouteHandler
    }

    private var routes: [Route] = []
    /// Routes without parameters by template, so the common exact match is one hash lookup.
    private var literalRoutes: [String: [Route]] = [:]

    /// A router with no routes.
    public init() {}

    /// Registers a synchronous handler for `method` on the path template `path`.
    ///
    /// With `requiresBody`, a request that declares no body (neither Content-Length nor
    /// Transfer-Encoding) is answered 411 before the handler runs: RFC 9112 §6.3 reads such a
    /// request as having an empty body, which for these routes is a client mistake worth
    /// naming, not an empty input.
    ///
    /// `maxBodyBytes` is the largest body the route reads; the server checks it on the head,
    /// so a larger declared body is answered 413 before any of it is buffered. Left nil, a
    /// route that requires a body takes up to the server-wide limit and any other route takes
    /// none (a body sent to it is refused, not read). `admission` runs on the head; see
    /// `Admission`.
    public func add(method: String, path: String, requiresBody: Bool = false, maxBodyBytes: Int? = nil,
                    admission: Admission? = nil, _ handler: @escaping Handler) {
        insert(method: method, path: path, requiresBody: requiresBody, maxBodyBytes: maxBodyBytes,
               admission: admission, handler: .sync(handler))
    }

    /// Registers an asynchronous handler for `method` on the path template `path`; see the
    /// synchronous overload for `requiresBody`, `maxBodyBytes` and `admission`.
    public func add(method: String, path: String, requiresBody: Bool = false, maxBodyBytes: Int? = nil,
                    admission: Admission? = nil, _ handler: @escaping AsyncHandler) {
        insert(method: method, path: path, requiresBody: requiresBody, maxBodyBytes: maxBodyBytes,
               admission: admission, handler: .async(handler))
    }

    private func insert(method: String, path: String, requiresBody: Bool, maxBodyBytes: Int?,
                        admission: Admission?, handler: RouteHandler) {
        let segments = Self.templateSegments(path)
        precondition(!routes.contains { $0.method == method && $0.segments == segments },
                     "route \(method) \(path) registered twice")
        precondition((maxBodyBytes ?? 0) >= 0, "route \(method) \(path) has a negative body limit")
        let route = Route(method: method, template: path, segments: segments, requiresBody: requiresBody,
                          maxBodyBytes: maxBodyBytes ?? (requiresBody ? Int.max : 0), admission: admission,
                          handler: handler)
        routes.append(route)
        if !segments.contains(where: { if case .parameter = $0 { return true } else { return false } }) {
            literalRoutes[path, default: []].append(route)
        }
    }

    private static func templateSegments(_ template: String) -> [Segment] {
        precondition(template.hasPrefix("/"), "route template \(template) must start with /")
        return template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            precondition(!part.contains("{") && !part.contains("}"), "malformed template segment \(part)")
            return .literal(String(part))
        }
    }

    // MARK: - Resolution

    /// What the server should do with a request.
    enum Resolution {
        /// Run `handler` with `request` (path parameters filled in); the route reads bodies of
        /// at most `maxBodyBytes`.
        case handler(RouteHandler, request: HTTPRequest, routeName: String, maxBodyBytes: Int)
        /// Answer with a fixed response (404, 405, automatic OPTIONS).
        case response(HTTPResponse, routeName: String?)
    }

    func resolve(_ request: HTTPRequest) -> Resolution {
        // A template without parameters is the most specific match there can be.
        if request.segmentsWithEncodedSlash == nil, let exact = literalRoutes[request.path],
           let route = exact.first(where: { $0.method == request.method })
            ?? (request.method == "HEAD" ? exact.first(where: { $0.method == "GET" }) : nil) {
            return Self.dispatch(route, request)
        }
        let pathSegments = request.segmentsWithEncodedSlash.map { $0.map { $0[...] } }
            ?? Array(request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        var candidates: [(route: Route, parameters: [String: String], literalMask: [Bool])] = []
        for route in routes where route.segments.count == pathSegments.count {
            var parameters: [String: String] = [:]
            var mask: [Bool] = []
            var matches = true
            for (segment, part) in zip(route.segments, pathSegments) {
                switch segment {
                case .literal(let literal):
                    matches = literal == part
                    mask.append(true)
                case .parameter(let name):
                    matches = !part.isEmpty
                    parameters[name] = String(part)
                    mask.append(false)
                }
                if !matches { break }
            }
            if matches { candidates.append((route, parameters, mask)) }
        }
        guard !candidates.isEmpty else {
            return .response(.problem(status: 404, detail: "No resource at \(request.path)."), routeName: nil)
        }
        // Literal segments win over parameters at the first place two templates differ, so
        // `/models/active` beats `/models/{id}`.
        candidates.sort { lhs, rhs in
            for (left, right) in zip(lhs.literalMask, rhs.literalMask) where left != right { return left }
            return false
        }
        let lookupMethod = request.method
        let chosen = candidates.first { $0.route.method == lookupMethod }
            ?? (lookupMethod == "HEAD" ? candidates.first { $0.route.method == "GET" } : nil)
        if let chosen {
            var routed = request
            routed.pathParameters = chosen.parameters
            return Self.dispatch(chosen.route, routed)
        }
        var methods = Set(candidates.map(\.route.method))
        if methods.contains("GET") { methods.insert("HEAD") }
        methods.insert("OPTIONS")
        let allow = methods.sorted().joined(separator: ", ")
        let routeName = candidates[0].route.template
        if lookupMethod == "OPTIONS" {
            return .response(HTTPResponse(status: 204, headers: ["Allow": allow]), routeName: routeName)
        }
        return .response(
            .problem(status: 405, detail: "\(lookupMethod) is not allowed on \(request.path); allowed: \(allow).",
                     headers: ["Allow": allow]),
            routeName: routeName)
    }

    private static func dispatch(_ route: Route, _ request: HTTPRequest) -> Resolution {
        if let admission = route.admission, let refusal = admission(request) {
            return .response(refusal, routeName: route.template)
        }
        if route.requiresBody && !request.declaresBody {
            return .response(.problem(status: 411,
                                      detail: "\(request.method) \(route.template) needs a body: send it with "
                                          + "Content-Length (or Transfer-Encoding: chunked)."),
                             routeName: route.template)
        }
        return .handler(route.handler, request: request, routeName: route.template, maxBodyBytes: route.maxBodyBytes)
    }

    /// Runs a synchronous handler, turning thrown errors into problem responses: an
    /// `HTTPError` into its own, anything else into a logged 500 that reveals nothing.
    static func run(_ handler: Handler, _ request: HTTPRequest, logger: Logger) -> HTTPResponse {
        do {
            return try handler(request)
        } catch let error as HTTPError {
            return error.response
        } catch {
            logger.error("handler failed", metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "error": "\(error)",
            ])
            return .problem(status: 500, detail: "The server failed to handle the request.")
        }
    }

    /// Answers `request` without a socket: resolves it and runs its handler, calling
    /// `completion` with the response and the route name (nil for 404) once, from whatever
    /// thread the handler answers on. Service tests drive their routes through this.
    public func respond(
        to request: HTTPRequest, logger: Logger = Logger(label: "HTTP1.Router"),
        completion: @escaping @Sendable (HTTPResponse, String?) -> Void
    ) {
        switch resolve(request) {
        case .response(let response, let routeName):
            completion(response, routeName)
        case .handler(.sync(let handler), let routed, let routeName, _):
            completion(Self.run(handler, routed, logger: logger), routeName)
        case .handler(.async(let handler), let routed, let routeName, _):
            handler(routed, HTTPResponder { completion($0, routeName) })
        }
    }
}
