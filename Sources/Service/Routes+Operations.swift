#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1

/// Probes (ours and KServe v2's paths), `/metrics` and `/openapi.yaml`.
struct OperationsRoutes {
    let readiness: Readiness
    let slot: ModelSlot
    let metrics: ServiceMetrics
    /// Updates gauges that are read, not pushed (training jobs), just before a scrape.
    let beforeScrape: () -> Void

    func register(on router: Router) {
        let live: Router.Handler = { _ in
            .json(200, Array(#"{"status":"ok"}"#.utf8), headers: ["Cache-Control": "no-store"])
        }
        router.add(method: "GET", path: "/healthz", live)
        router.add(method: "GET", path: "/v2/health/live", live)

        let ready: Router.Handler = { _ in
            if readiness.acceptsRequests, let model = slot.current {
                var body = "{\"status\":\"ready\",\"model\":"
                JSONText.appendQuoted(model.id, to: &body)
                body += ",\"precision\":\"\(model.precision)\"}"
                let bytes: [UInt8] = Array(body.utf8)
                return .json(200, bytes, headers: ["Cache-Control": "no-store"])
            }
            return .problem(status: 503, title: "Not ready", detail: readiness.reason,
                            headers: ["Retry-After": "1", "Cache-Control": "no-store"])
        }
        router.add(method: "GET", path: "/readyz", ready)
        router.add(method: "GET", path: "/v2/health/ready", ready)

        router.add(method: "GET", path: "/metrics") { _ in
            beforeScrape()
            return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                                                "Cache-Control": "no-store"],
                         body: metrics.render())
        }
        router.add(method: "GET", path: "/openapi.yaml") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/yaml; charset=utf-8",
                                                "Cache-Control": "no-cache"],
                         body: PackageResources.openapi_yaml)
        }
    }
}
