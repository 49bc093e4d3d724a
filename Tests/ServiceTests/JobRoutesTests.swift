import Foundation
import HTTP1
import Testing
import TestSupport
import Training
@testable import Service

/// `/train` and `/models` driven through the router in-process (no socket).
@Suite struct JobRoutesTests {
    struct Fixture {
        let setup: TrainingQueueTests.Setup
        let router = Router()

        /// The admin token the fixture's routes require; `send` presents it unless told not to.
        static let token = "fixture-admin-token"

        init(maxQueued: Int = 8, gate: StartGate = StartGate(open: false),
             trainingUnavailable: String? = nil, factory: TrainerFactory? = nil) throws {
            setup = try TrainingQueueTests.setup(maxQueued: maxQueued, factory: factory ?? gate.factory())
            JobRoutes(queue: setup.queue, registry: setup.registry, authorization: AdminAuthorization(token: Self.token),
                      trainingUnavailable: trainingUnavailable)
                .register(on: router)
        }

        /// Sends a request and waits for the answer (async handlers answer from another queue).
        /// A POST declares its body with `Content-Length` as clients do, unless `framed` is false;
        /// the admin token goes along unless `anonymous` or `headers` carry an Authorization.
        func send(_ method: String, _ target: String, body: String = "", headers: HTTPHeaders = HTTPHeaders(),
                  loopback: Bool = true, framed: Bool = true,
                  anonymous: Bool = false) throws -> (response: HTTPResponse, json: [String: Any]) {
            var headers = headers
            if !anonymous && headers["authorization"] == nil {
                headers.add(name: "Authorization", value: "Bearer \(Self.token)")
            }
            if framed && method == "POST" { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
            let request = try HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8),
                                          remoteAddress: loopback ? "127.0.0.1" : "192.0.2.7", isLoopback: loopback)
            let box = JobsTestBox<HTTPResponse?>(nil)
            let done = DispatchSemaphore(value: 0)
            router.respond(to: request) { response, _ in
                box.value = response
                done.signal()
            }
            done.wait()
            let response = box.value!
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return (response, json)
        }
    }

    /// `POST /train` answers 202 with `Location`, `Retry-After` and the queued job.
    @Test func submitAJob() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        let (response, job) = try fixture.send("POST", "/train", body: #"{"epochs": 1, "architecture": "tiny"}"#)
        #expect(response.status == 202)
        let id = try #require(job["id"] as? String)
        #expect(response.headers["location"] == "/train/\(id)")
        #expect(response.headers["retry-after"] == "2")
        #expect(response.headers["content-type"] == "application/json")
        #expect(job["status"] as? String == "queued")
        #expect((job["request"] as? [String: Any])?["epochs"] as? Int == 1)
        #expect((job["params"] as? [String: Any])?["batch_size"] as? Int == TrainingRequest.serviceDefaults.batchSize)
        let (shown, again) = try fixture.send("GET", "/train/\(id)")
        #expect(shown.status == 200 && again["id"] as? String == id)
    }

    /// Bad bodies are problem+json: 400 for syntax and types, 422 for values, naming the field.
    @Test func validationErrors() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        for (body, status, field) in [("nope", 400, "JSON"), (#"{"epochz": 1}"#, 400, "epochz"),
                                      (#"{"epochs": "1"}"#, 400, "epochs"), (#"{"epochs": -1}"#, 422, "epochs"),
                                      (#"{"activate": "maybe"}"#, 422, "activate"),
                                      // Found by Schemathesis: a product of these overflowed `Int` and
                                      // trapped, taking the process down, once TensorCore kept its checks.
                                      (#"{"architecture": {"input": [330005239, 5818031981, 94], "layers": [{"type": "flatten"}]}}"#,
                                       422, "input shape")] {
            let (response, problem) = try fixture.send("POST", "/train", body: body)
            #expect(response.status == status, "\(body)")
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(problem["status"] as? Int == status)
            #expect((problem["detail"] as? String)?.contains(field) == true, "\(body)")
        }
        #expect(fixture.setup.queue.store.all().isEmpty)
    }

    /// The body's framing and type: none at all is 411 (an empty one means `{}`), a type that
    /// is not JSON is 415, and JSON under `curl -d`'s default form type is read as JSON.
    @Test func bodyFramingAndType() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        let unframed = try fixture.send("POST", "/train", framed: false)
        #expect(unframed.response.status == 411)
        #expect(unframed.response.headers["content-type"] == "application/problem+json")
        #expect(try fixture.send("POST", "/train", body: "").response.status == 202)
        for type in ["image/png", "text/plain", "multipart/form-data; boundary=x", "not a type"] {
            let (response, problem) = try fixture.send("POST", "/train", body: "{}", headers: ["Content-Type": type])
            #expect(response.status == 415, "\(type)")
            #expect((problem["detail"] as? String)?.contains("application/json") == true, "\(type)")
        }
        for type in ["application/json", "application/json; charset=utf-8", "application/vnd.job+json",
                     "application/x-www-form-urlencoded"] {
            let response = try fixture.send("POST", "/train", body: #"{"epochs": 2}"#, headers: ["Content-Type": type])
            #expect(response.response.status == 202, "\(type)")
            #expect((response.json["request"] as? [String: Any])?["epochs"] as? Int == 2, "\(type)")
        }
    }

    /// A server without training data refuses a valid job with 503 and says what to do, after
    /// checking the request (so a bad one still learns what is wrong with it), and queues nothing.
    @Test func trainingDisabled() throws {
        let fixture = try Fixture(trainingUnavailable: "no training data: start with --mnist-dir")
        defer { fixture.setup.tearDown() }
        let (response, problem) = try fixture.send("POST", "/train", body: #"{"epochs": 1}"#)
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == nil)
        #expect((problem["detail"] as? String)?.contains("--mnist-dir") == true)
        #expect(try fixture.send("POST", "/train", body: #"{"epochs": 0}"#).response.status == 422)
        #expect(fixture.setup.queue.store.all().isEmpty)
    }

    /// Admin routes need the bearer token from every client, loopback included (401 with the
    /// challenge otherwise); reads need none.
    @Test func adminProtection() throws {
        let guarded = try Fixture()
        defer { guarded.setup.tearDown() }
        for (method, target) in [("POST", "/train"), ("DELETE", "/train/job-x"), ("POST", "/models/shipped/activate")] {
            for loopback in [true, false] {
                let answer = try guarded.send(method, target, body: "{}", loopback: loopback, anonymous: true).response
                #expect(answer.status == 401 && answer.headers["www-authenticate"]?.hasPrefix("Bearer") == true,
                        "\(method) \(target) loopback \(loopback)")
            }
        }
        #expect(try guarded.send("GET", "/train", loopback: false, anonymous: true).response.status == 200)
        let wrong = try guarded.send("POST", "/train", body: "{}", headers: ["Authorization": "Bearer nope"])
        #expect(wrong.response.status == 401)
        let right = try guarded.send("POST", "/train", body: "{}", loopback: false)
        #expect(right.response.status == 202)
    }

    /// A job whose network would need more memory than the limit (one conv2d with 4096
    /// channels at batch 128: gigabytes) is refused at submit with 422 and the estimate, and
    /// nothing is queued; the shipped recipe and the tiny network fit.
    @Test func poisonJobIsRefusedAtSubmit() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        let huge = #"{"batch_size": 128, "architecture": [{"type": "conv2d", "out_channels": 4096, "kernel_size": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#
        let (response, problem) = try fixture.send("POST", "/train", body: huge)
        #expect(response.status == 422)
        #expect(response.headers["content-type"] == "application/problem+json")
        let detail = problem["detail"] as? String ?? ""
        #expect(detail.contains("would need about") && detail.contains("GB") && detail.contains("--max-job-memory-mb"), "\(detail)")
        #expect(fixture.setup.queue.store.all().isEmpty)
        for body in [#"{"architecture": "mnist-bn", "batch_size": 128}"#, #"{"architecture": "tiny", "batch_size": 256}"#] {
            #expect(try fixture.send("POST", "/train", body: body).response.status == 202, "\(body)")
        }
    }

    /// The estimate counts what the layers hold: the Keras example's 34 826 weights, and
    /// activations that grow linearly with the batch.
    @Test func footprintEstimate() throws {
        var configuration = TrainingRequest.serviceDefaults
        configuration.architecture = .kerasExample
        configuration.batchSize = 64
        let small = try TrainingFootprint(configuration: configuration)
        configuration.batchSize = 128
        let large = try TrainingFootprint(configuration: configuration)
        #expect(small.parameters == 34_826)
        #expect(large.activationBytes == 2 * small.activationBytes)
        #expect(large.parameterBytes == small.parameterBytes)
        #expect(small.multiplyAddsPerImage == 26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 10)
    }

    /// A failed job's full error text (paths, errno) is shown only with the admin token;
    /// anyone else gets the short reason.
    @Test func failureDetailIsForAdminsOnly() throws {
        let fixture = try Fixture(factory: MNISTTrainerSource(directory: "/nonexistent/mnist-dir").factory)
        defer { fixture.setup.tearDown() }
        let (submitted, job) = try fixture.send("POST", "/train", body: #"{"epochs": 1, "architecture": "tiny"}"#)
        #expect(submitted.status == 202)
        let id = try #require(job["id"] as? String)
        fixture.setup.queue.start()
        #expect(JobsFixtures.eventually { fixture.setup.finished([id]) })
        let anonymous = try fixture.send("GET", "/train/\(id)", anonymous: true).json
        #expect(anonymous["status"] as? String == "failed")
        #expect(anonymous["error"] as? String == "the training data is missing or unreadable on the server")
        #expect(anonymous["error_detail"] == nil)
        let listed = try fixture.send("GET", "/train", anonymous: true).json["jobs"] as? [[String: Any]]
        #expect(listed?.first?["error_detail"] == nil)
        let admin = try fixture.send("GET", "/train/\(id)").json
        #expect((admin["error_detail"] as? String)?.contains("/nonexistent/mnist-dir") == true)
    }

    /// A full queue answers 429 with `Retry-After`.
    @Test func fullQueue() throws {
        let fixture = try Fixture(maxQueued: 1)
        defer { fixture.setup.tearDown() }
        #expect(try fixture.send("POST", "/train").response.status == 202)
        let (response, problem) = try fixture.send("POST", "/train")
        #expect(response.status == 429 && response.headers["retry-after"] == "30")
        #expect(problem["status"] as? Int == 429)
    }

    /// `GET /train` lists newest first with `limit` and `next_cursor`, and refuses bad ones.
    @Test func listing() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try #require(try fixture.send("POST", "/train").json["id"] as? String)) }
        let (first, page) = try fixture.send("GET", "/train?limit=2")
        #expect(first.status == 200)
        let jobs = try #require(page["jobs"] as? [[String: Any]])
        #expect(jobs.compactMap { $0["id"] as? String } == [ids[2], ids[1]])
        let cursor = try #require(page["next_cursor"] as? String)
        let (_, rest) = try fixture.send("GET", "/train?limit=2&cursor=\(cursor)")
        #expect((rest["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0]])
        #expect(rest["next_cursor"] is NSNull)
        #expect((try fixture.send("GET", "/train").json["jobs"] as? [Any])?.count == 3)
        for bad in ["/train?limit=0", "/train?limit=101", "/train?limit=ten", "/train?cursor=bogus"] {
            #expect(try fixture.send("GET", bad).response.status == 400, "\(bad)")
        }
        #expect(try fixture.send("GET", "/train/job-unknown").response.status == 404)
    }

    /// `DELETE`: 200 when a queued job is cancelled at once, 202 while a running one stops,
    /// 409 once finished, 404 for an unknown id.
    @Test func cancelling() throws {
        let gate = StartGate(open: false)
        let fixture = try Fixture(gate: gate)
        defer { fixture.setup.tearDown() }
        let running = try #require(try fixture.send("POST", "/train", body: #"{"architecture": "tiny"}"#).json["id"] as? String)
        let queued = try #require(try fixture.send("POST", "/train").json["id"] as? String)
        fixture.setup.queue.start()
        #expect(JobsFixtures.eventually { gate.started.count == 1 })

        let (now, cancelled) = try fixture.send("DELETE", "/train/\(queued)")
        #expect(now.status == 200 && cancelled["status"] as? String == "cancelled")
        let (later, cancelling) = try fixture.send("DELETE", "/train/\(running)")
        #expect(later.status == 202 && cancelling["status"] as? String == "cancelling")
        #expect(JobsFixtures.eventually { fixture.setup.queue.store.job(running)?.status == .cancelled })
        let (conflict, problem) = try fixture.send("DELETE", "/train/\(queued)")
        #expect(conflict.status == 409 && problem["status"] as? Int == 409)
        #expect(try fixture.send("DELETE", "/train/job-unknown").response.status == 404)
    }

    /// `/models` lists the registry with the active id; activation swaps it, a model that does
    /// not load is 422 and changes nothing, an unknown one is 404.
    @Test func models() throws {
        let fixture = try Fixture()
        defer { fixture.setup.tearDown() }
        let (listed, list) = try fixture.send("GET", "/models")
        #expect(listed.status == 200 && list["active"] as? String == "shipped")
        let shipped = try #require((list["models"] as? [[String: Any]])?.first)
        #expect(shipped["id"] as? String == "shipped" && shipped["active"] as? Bool == true && shipped["job_id"] == nil)
        #expect((shipped["metrics"] as? [String: Any])?["test_accuracy"] as? Double == 0.05)
        #expect(try fixture.send("GET", "/models/shipped").json["read_only"] as? Bool == true)
        #expect(try fixture.send("GET", "/models/model-nope").response.status == 404)

        try JobsFixtures.register("model-new", in: fixture.setup.registry, testAccuracy: 0.7)
        let (activated, model) = try fixture.send("POST", "/models/model-new/activate")
        #expect(activated.status == 200 && model["active"] as? Bool == true && model["id"] as? String == "model-new")
        #expect(fixture.setup.slot.current?.id == "model-new")

        try JobsFixtures.register("model-broken", in: fixture.setup.registry, testAccuracy: 0.9)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: fixture.setup.state.modelPath("model-broken")))
        let (refused, problem) = try fixture.send("POST", "/models/model-broken/activate")
        #expect(refused.status == 422 && (problem["detail"] as? String)?.contains("model-broken") == true)
        #expect(fixture.setup.slot.current?.id == "model-new")
        #expect(try fixture.send("GET", "/models").json["active"] as? String == "model-new")
        #expect(try fixture.send("POST", "/models/model-nope/activate").response.status == 404)
    }
}
