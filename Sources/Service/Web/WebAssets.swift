/// One file of the web page, as the server sends it: the bytes embedded in the binary by
/// SwiftPM (`.embedInCode`), so the page works offline from the container with no resources
/// directory to copy, plus the headers that belong to those bytes.
public struct WebAsset: Sendable {
    /// The request path that serves it (`/`, `/index.html`, `/app.js`, ...).
    public let path: String
    /// `Content-Type`, with the charset: every asset is UTF-8 text.
    public let contentType: String
    /// The file's bytes.
    public let body: [UInt8]
    /// Strong `ETag` (RFC 9110 §8.8.3), quoted: FNV-1a 64 of `body` in hex. It changes whenever
    /// the bytes change, so a conditional request after an upgrade always gets the new file.
    public let etag: String
    /// `Cache-Control`: see `WebAssets.cacheControl` for why every asset revalidates.
    public let cacheControl: String

    /// Whether an `If-None-Match` header value names this asset's current version, i.e. the
    /// answer is `304 Not Modified` (RFC 9110 §13.1.2: `*` matches, entity tags compare weakly,
    /// so a `W/` prefix a proxy added still matches).
    public func isNotModified(ifNoneMatch header: String) -> Bool {
        for candidate in header.split(separator: ",") {
            var tag = candidate.trimmingSpaces
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == etag[...] { return true }
        }
        return false
    }
}

/// The web page's files, keyed by request path. A pure table: routes, the CSP and `nosniff`
/// are added where the routes are registered.
public enum WebAssets {
    /// Every asset revalidates (`no-cache` + the strong ETag, so an unchanged file costs one
    /// bodiless 304). A `max-age` would be unsafe here: the file names carry no version, and
    /// the ES modules import each other by name, so for the max-age after an upgrade a
    /// browser could combine a new `index.html` or `app.js` with an old `train.js` and run a
    /// page that matches neither version.
    public static let cacheControl = "no-cache"

    /// Every served path, `/` and `/index.html` both being the page.
    public static let all: [WebAsset] = [
        make("/", "text/html; charset=utf-8", PackageResources.index_html),
        make("/index.html", "text/html; charset=utf-8", PackageResources.index_html),
        make("/style.css", "text/css; charset=utf-8", PackageResources.style_css),
        make("/app.js", "text/javascript; charset=utf-8", PackageResources.app_js),
        make("/api.js", "text/javascript; charset=utf-8", PackageResources.api_js),
        make("/draw.js", "text/javascript; charset=utf-8", PackageResources.draw_js),
        make("/charts.js", "text/javascript; charset=utf-8", PackageResources.charts_js),
        make("/train.js", "text/javascript; charset=utf-8", PackageResources.train_js),
    ]

    /// `all` by path, for one hash lookup per request.
    public static let byPath: [String: WebAsset] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// The asset served at `path` (without the query string), or nil.
    public static func asset(at path: String) -> WebAsset? {
        byPath[path]
    }

    /// The quoted strong entity tag of `bytes`: FNV-1a 64 (offset basis 0xcbf29ce484222325,
    /// prime 0x100000001b3) as 16 lowercase hex digits. Not cryptographic, and it need not be:
    /// it only has to change when the file changes.
    public static func etag(of bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    private static func make(_ path: String, _ contentType: String, _ body: [UInt8]) -> WebAsset {
        WebAsset(path: path, contentType: contentType, body: body, etag: etag(of: body), cacheControl: cacheControl)
    }
}

private extension Substring {
    /// Without the optional whitespace (spaces, tabs) around a list element.
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
