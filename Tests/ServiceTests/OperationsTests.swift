import Foundation
import Testing
import TestSupport

/// Probes, metrics and the served spec over the real socket (issue 7).
struct OperationsTests {
    /// Liveness on both paths: 200 while the process serves.
    @Test(arguments: ["/healthz", "/v2/health/live"])
    func livenessAnswers200(path: String) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.get(path)
        #expect(response.status == 200)
        #expect(try response.jsonObject()["status"] as? String == "ok")
    }

    /// Readiness on both paths once started: 200 naming the model `/predict` uses.
    @Test(arguments: ["/readyz", "/v2/health/ready"])
    func readinessAnswers200WithTheModel(path: String) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.get(path)
        #expect(response.status == 200)
        let body = try response.jsonObject()
        #expect(body["status"] as? String == "ready")
        #expect(body["model"] as? String == service.app.slot.current?.id)
        #expect(service.app.slot.current != nil)
    }

    /// What probes and `/predict` answered at one moment.
    // Unchecked: written once by the swap observer during `start()`, read after `start()` returns.
    final class ProbeAnswers: @unchecked Sendable {
        var liveness: Int?
        var readiness: RawHTTPResponse?
        var predict: RawHTTPResponse?
    }

    /// While starting, liveness is 200 but readiness and `/predict` are 503 with `Retry-After`,
    /// until the model is loaded, warmed up and serving. Probed from the model slot's swap
    /// observer, which `start()` calls after binding the port and warming the model up, just
    /// before it reports ready.
    @Test func readinessIs503UntilStartHasFinished() throws {
        let during = ProbeAnswers()
        let service = try ServiceHarness(beforeStart: { app in
            app.slot.onSwap { [weak app] _ in
                guard let app, app.readiness.current == .starting, let client = try? RawHTTPClient(port: app.port) else { return }
                during.liveness = try? client.get("/healthz").status
                during.readiness = try? client.get("/readyz")
                during.predict = try? client.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels)
            }
        })
        defer { service.stop() }
        #expect(during.liveness == 200)
        #expect(during.readiness?.status == 503)
        #expect(during.readiness?.header("Retry-After") != nil)
        #expect(during.predict?.status == 503)
        #expect(during.predict?.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(try service.get("/readyz").status == 200)
        #expect(try service.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels).status == 200)
    }

    /// A graceful shutdown turns readiness 503 at once while a request already in flight
    /// still completes with its answer.
    ///
    /// The in-flight request is a slow client: its head (with `Content-Length: 784`) is in
    /// the server before the shutdown begins, its body arrives after. A second connection
    /// holds a half-sent `GET /readyz` across the same moment (a draining server closes idle
    /// connections and accepts no new ones, so a probe can only be answered on a connection
    /// with a request under way) and must be told 503.
    @Test func readinessTurns503DuringDrainWhileInFlightRequestCompletes() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let slow = try service.connect()
        let probe = try service.connect()
        // Each partial request rides in one write behind a complete GET /healthz: once the
        // /healthz answer is back, the server has read the partial request after it too, so
        // the drain finds both connections busy rather than idle (no sleep needed).
        let healthz = RawHTTPClient.head(method: "GET", path: "/healthz", headers: [], contentLength: nil)
        slow.send(healthz + RawHTTPClient.head(method: "POST", path: "/predict",
                                               headers: [("Content-Type", "application/octet-stream")], contentLength: 784))
        probe.send(healthz + Array("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        #expect(try slow.readResponse().status == 200)
        #expect(try probe.readResponse().status == 200)

        service.app.shutdown()
        #expect(service.app.readiness.current == .draining)

        probe.send("\r\n")
        let readiness = try probe.readResponse()
        #expect(readiness.status == 503, "\(readiness.text)")
        #expect(try readiness.jsonObject()["status"] as? Int == 503)
        // `shutdown()` returns before the loops start draining, so whether this response
        // already says `Connection: close` is a race; that the server then closes it is not.
        #expect(probe.isClosedByServer(), "a draining server keeps no connection open after its response")

        slow.send(BadPredictRequest.strokePixels)
        let answer = try slow.readResponse()
        #expect(answer.status == 200, "the in-flight request must complete: \(answer.text)")
        #expect((try? answer.prediction().prediction.probabilities.count) == 10)
        #expect(slow.isClosedByServer())

        service.app.waitUntilStopped()
        #expect(throws: RawHTTPClientError.self, "a stopped server accepts no connections") {
            _ = try RawHTTPClient(port: service.port).get("/healthz")
        }
    }

    /// `/metrics` is valid Prometheus text, and the request and prediction counters move by
    /// at least what this test sent (other tests share the process-wide registry, so
    /// counters are compared as deltas).
    @Test func metricsParseAndCountersMove() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let client = try service.connect()
        let scrape = { () throws -> PrometheusText in
            let response = try client.get("/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            return try PrometheusText(response.text)
        }
        let before = try scrape()

        let requests = 5
        var digits: [Int] = []
        // One more than counted: the batcher records a pass after answering it, and before
        // it takes the next, so the last answer proves the passes before it are recorded.
        for _ in 0...requests {
            let response = try client.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels)
            digits.append(try response.prediction().prediction.digit)
        }
        _ = try client.post(contentType: "application/octet-stream", body: [1, 2, 3])
        // Made-up method tokens share one label value, so clients cannot create series at will.
        for method in ["BREW", "WHEN"] {
            #expect(try client.request(method: method, path: "/healthz").status == 405)
        }

        let after = try scrape()
        // Checked on the second scrape: a metric exists once something recorded it.
        for sample in after.samples {
            #expect(after.types[PrometheusText.family(of: sample.name, types: after.types)] != nil,
                    "\(sample.name) has no # TYPE")
        }
        #expect(after.types["mnist_http_requests_total"] == "counter")
        #expect(after.types["mnist_http_request_duration_seconds"] == "histogram")
        #expect(after.types["mnist_predictions_total"] == "counter")
        let ok = ["route": "/predict", "method": "POST", "status": "200"]
        #expect(after.total("mnist_http_requests_total", ok) - before.total("mnist_http_requests_total", ok) >= Double(requests))
        let unusable = ["route": "/predict", "method": "POST", "status": "422"]
        #expect(after.total("mnist_http_requests_total", unusable) - before.total("mnist_http_requests_total", unusable) >= 1)
        let other = ["route": "/healthz", "method": "other", "status": "405"]
        #expect(after.total("mnist_http_requests_total", other) - before.total("mnist_http_requests_total", other) >= 2)
        #expect(after.samples("mnist_http_requests_total").allSatisfy { $0.labels["method"] != "BREW" })
        let digit = ["digit": String(digits[0])]
        #expect(after.total("mnist_predictions_total", digit) - before.total("mnist_predictions_total", digit) >= Double(requests))
        #expect(after.total("mnist_http_request_duration_seconds_count", ["route": "/predict"])
                - before.total("mnist_http_request_duration_seconds_count", ["route": "/predict"]) >= Double(requests + 1))
        #expect(after.total("mnist_inference_images_total") - before.total("mnist_inference_images_total") >= Double(requests))
        #expect(!after.samples("mnist_model_info").isEmpty)
        #expect(after.total("process_resident_memory_bytes") > 0)
        #expect(after.samples("mnist_http_access_log_dropped_total").count == 1)
    }

    /// The spec is served as YAML and is OpenAPI 3.1.
    @Test func openAPISpecIsServed() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.get("/openapi.yaml")
        #expect(response.status == 200)
        let type = response.header("Content-Type")?.lowercased() ?? ""
        #expect(type.hasPrefix("application/yaml") || type.hasPrefix("application/x-yaml") || type.hasPrefix("text/yaml"), "\(type)")
        #expect(response.text.hasPrefix("openapi: 3.1"))
        #expect(response.text.contains("/predict:"))
    }
}
