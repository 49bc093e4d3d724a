import HTTP1

/// The web page and its modules, embedded in the binary: correct types, a strong ETag with 304
/// on `If-None-Match`, and a Content-Security-Policy that allows no inline script or style.
struct WebRoutes {
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    func register(on router: Router) {
        for asset in WebAssets.all {
            router.add(method: "GET", path: asset.path) { request in
                var headers: HTTPHeaders = [
                    "ETag": asset.etag, "Cache-Control": asset.cacheControl,
                    "Content-Security-Policy": Self.contentSecurityPolicy,
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                ]
                if let tag = request.headers["if-none-match"], asset.isNotModified(ifNoneMatch: tag) {
                    return HTTPResponse(status: 304, headers: headers)
                }
                headers.replaceOrAdd(name: "Content-Type", value: asset.contentType)
                return HTTPResponse(status: 200, headers: headers, body: asset.body)
            }
        }
    }
}
