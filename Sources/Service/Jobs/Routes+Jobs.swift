import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Training

/// `/train` and `/models`: training jobs and the model registry over HTTP.
///
/// Reads (`GET`) answer at once on the server's thread. Admin operations (`POST /train`,
/// `DELETE /train/{id}`, `POST /models/{id}/activate`) check `AdminAuthorization` on the
/// request head, as the route's admission (so an unauthorized client gets its 401 without
/// `100 Continue` and without its body being read), then run on one serial queue of their
/// own, because they fsync files and activation loads a model: slow work that must not hold
/// an event-loop thread.
public struct JobRoutes: Sendable {
    public let queue: TrainingQueue
    public let registry: ModelRegistry
    public let authorization: AdminAuthorization
    /// The configuration behind fields a request leaves out.
    public let defaults: TrainingConfiguration
    /// Why `POST /train` cannot run jobs (no training data configured); nil when it can.
    public let trainingUnavailable: String?
    /// The largest `POST /train` body read (a JSON training request is a few hundred bytes).
    public let maxTrainBodyBytes: Int
    /// The most memory a job may need (`TrainingFootprint`); a larger one is refused with 422.
    public let maxJobMemoryBytes: Int
    private let adminQueue = DispatchQueue(label: "mnist-cnn.admin")

    /// The default and the bounds of `GET /train?limit=`.
    public static let defaultPageSize = 20
    public static let maxPageSize = 100

    public init(queue: TrainingQueue, registry: ModelRegistry, authorization: AdminAuthorization,
                defaults: TrainingConfiguration = TrainingRequest.serviceDefaults,
                trainingUnavailable: String? = nil, maxTrainBodyBytes: Int = ServiceConfiguration.defaultMaxTrainBodyBytes,
                maxJobMemoryBytes: Int = ServiceConfiguration().maxJobMemoryBytes) {
        self.maxTrainBodyBytes = maxTrainBodyBytes
        self.queue = queue
        self.registry = registry
        self.authorization = authorization
        self.defaults = defaults
        self.trainingUnavailable = trainingUnavailable
        self.maxJobMemoryBytes = maxJobMemoryBytes
    }

    /// Body types `POST /train` reads as JSON. Besides JSON itself: none at all, and
    /// `application/x-www-form-urlencoded`, which `curl -d` sends unless told otherwise.
    static func acceptsTrainingBody(_ request: HTTPRequest) -> Bool {
        guard let header = request.headers["content-type"] else { return true }
        guard let type = request.contentType else { return false }
        return type.essence == "application/json" || (type.type == "application" && type.subtype.hasSuffix("+json"))
            || type.essence == "application/x-www-form-urlencoded" || header.isEmpty
    }

    public func register(on router: Router) {
        let admission = adminAdmission
        router.add(method: "POST", path: "/train", requiresBody: true, maxBodyBytes: maxTrainBodyBytes,
                   admission: admission, admin(submit))
        router.add(method: "GET", path: "/train", mapped(list))
        router.add(method: "GET", path: "/train/{id}", mapped(show))
        router.add(method: "DELETE", path: "/train/{id}", admission: admission, admin(cancel))
        router.add(method: "GET", path: "/models", mapped(models))
        router.add(method: "GET", path: "/models/{id}", mapped(model))
        router.add(method: "POST", path: "/models/{id}/activate", admission: admission, admin(activate))
    }

    // MARK: - Handlers

    func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        guard Self.acceptsTrainingBody(request) else {
            throw HTTPError(status: 415, title: "Unsupported media type",
                            detail: "POST /train takes a JSON object (Content-Type: application/json), not "
                                + (request.headers["content-type"] ?? ""))
        }
        let parsed = try TrainingRequest.parse(body: request.body, defaults: defaults,
                                               threads: queue.settings.threads)
        let footprint = try TrainingFootprint(configuration: parsed.configuration)
        guard footprint.totalBytes <= maxJobMemoryBytes else {
            throw HTTPError(status: 422, title: "Training job too large",
                            detail: "this job would need \(footprint.summary) at batch_size "
                                + "\(parsed.configuration.batchSize), over this server's limit of "
                                + "\(TrainingFootprint.format(maxJobMemoryBytes)) per job (--max-job-memory-mb); "
                                + "use a smaller batch_size or architecture")
        }
        // Checked after the body, so that a client learns of its own mistakes first.
        if let trainingUnavailable {
            throw HTTPError(status: 503, title: "Training disabled", detail: trainingUnavailable)
        }
        let job = try queue.submit(parsed)
        return try .json(202, job, headers: ["Location": "/train/\(job.id)", "Retry-After": "2"])
    }

    func list(_ request: HTTPRequest) throws -> HTTPResponse {
        var limit = Self.defaultPageSize
        if let text = request.queryValue("limit") {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                throw HTTPError(status: 400, detail: "limit must be an integer in 1...\(Self.maxPageSize), not '\(text)'.")
            }
            limit = value
        }
        let page = try queue.store.page(limit: limit, cursor: request.queryValue("cursor"))
        let jobs = isAdmin(request) ? page.jobs : page.jobs.map(\.publicView)
        return try .json(200, JobList(jobs: jobs, nextCursor: page.nextCursor, queue: queue.role.rawValue))
    }

    func show(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = request.pathParameters["id"] ?? ""
        guard let job = queue.store.job(id) else { throw TrainingQueueError.notFound(id) }
        return try .json(200, isAdmin(request) ? job : job.publicView)
    }

    /// Whether a read carries the admin token, and so may see failures' full text.
    private func isAdmin(_ request: HTTPRequest) -> Bool {
        request.headers["authorization"] != nil && authorization.decide(authorization: request.headers["authorization"]) == .allowed
    }

    func cancel(_ request: HTTPRequest) throws -> HTTPResponse {
        let (job, outcome) = try queue.cancel(request.pathParameters["id"] ?? "")
        return try .json(outcome == .cancelled ? 200 : 202, job)
    }

    func models(_ request: HTTPRequest) throws -> HTTPResponse {
        try .json(200, ModelList(models: registry.list(), active: registry.activeModelID))
    }

    func model(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = request.pathParameters["id"] ?? ""
        guard let record = registry.record(id) else { throw ModelRegistryError.notFound(id) }
        return try .json(200, record)
    }

    func activate(_ request: HTTPRequest) throws -> HTTPResponse {
        try .json(200, try registry.activate(request.pathParameters["id"] ?? ""))
    }

    // MARK: - Plumbing

    /// The admin check as a route admission: the 401/403 problem, or nil when allowed.
    private var adminAdmission: Router.Admission {
        let authorization = self.authorization
        return { request in
            do {
                try authorization.authorize(request)
                return nil
            } catch {
                return Self.response(for: error)
            }
        }
    }

    /// Runs `handler` on the admin queue and answers from there (admission already passed).
    private func admin(_ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) -> Router.AsyncHandler {
        let adminQueue = self.adminQueue
        return { request, responder in
            adminQueue.async { responder.send(Self.run(handler, request)) }
        }
    }

    /// `handler` with this module's errors turned into their problem responses.
    private func mapped(_ handler: @escaping Router.Handler) -> Router.Handler {
        { request in Self.run(handler, request) }
    }

    static func run(_ handler: Router.Handler, _ request: HTTPRequest) -> HTTPResponse {
        do {
            return try handler(request)
        } catch {
            return response(for: error)
        }
    }

    /// The problem response for an error of the jobs and models layer.
    static func response(for error: any Error) -> HTTPResponse {
        switch error {
        case let error as HTTPError:
            return error.response
        case let error as TrainingRequestError:
            return .problem(status: error.status, title: "Invalid training request", detail: error.description)
        case TrainingQueueError.queueFull(_, let retryAfter):
            return .problem(status: 429, title: "Training queue full", detail: error.localizedDescriptionText,
                            headers: ["Retry-After": String(retryAfter)])
        case TrainingQueueError.shuttingDown:
            return .problem(status: 503, detail: error.localizedDescriptionText, headers: ["Retry-After": "5"])
        case TrainingQueueError.notOwner:
            return .problem(status: 503, title: "Training queue read-only here", detail: error.localizedDescriptionText,
                            headers: ["Retry-After": "5"])
        case TrainingQueueError.notFound, ModelRegistryError.notFound:
            return .problem(status: 404, detail: error.localizedDescriptionText)
        case let error as JobStoreError:
            return .problem(status: 400, detail: error.description)
        case let error as JobStateError:
            return .problem(status: 409, title: "Job already finished", detail: error.description)
        case ModelRegistryError.loadFailed, ModelRegistryError.unusable:
            return .problem(status: 422, title: "Model does not load",
                            detail: error.localizedDescriptionText + "; the active model is unchanged")
        default:
            return .problem(status: 500, detail: "The server failed to handle the request: \(error.localizedDescriptionText)")
        }
    }
}

/// `GET /train`: `{"jobs": [...], "next_cursor": "..." | null, "queue": "owner"}`, where
/// `queue` says what this process may do with the queue (`TrainingQueue.Role`): `owner`
/// runs jobs and takes changes; `standby` and `read-only` only show them.
struct JobList: Encodable {
    var jobs: [TrainingJob]
    var nextCursor: String?
    var queue: String

    enum CodingKeys: String, CodingKey {
        case jobs, queue
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(queue, forKey: .queue)
    }
}

/// `GET /models`: `{"models": [...], "active": "<id>"}`.
struct ModelList: Encodable {
    var models: [ModelRecord]
    var active: String
}

private extension Error {
    /// The error's own description (`CustomStringConvertible`), not Foundation's generic text.
    var localizedDescriptionText: String { String(describing: self) }
}
