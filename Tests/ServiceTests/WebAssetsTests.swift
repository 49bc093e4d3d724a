import Foundation
import Testing
@testable import Service

/// The web page's asset table: every file the page loads is served, with the right type and a
/// validator that changes with the bytes.
struct WebAssetsTests {
    /// Every file index.html and the modules reference is in the table, so no asset 404s.
    @Test func everyReferencedFileIsServed() throws {
        let page = String(decoding: try #require(WebAssets.asset(at: "/")).body, as: UTF8.self)
        var referenced: Set<String> = []
        for asset in WebAssets.all where asset.contentType.hasPrefix("text/javascript") || asset.path == "/" {
            let text = String(decoding: asset.body, as: UTF8.self)
            // href="/style.css", src="/app.js", from './api.js'
            for marker in ["href=\"/", "src=\"/", "from './"] {
                for part in text.components(separatedBy: marker).dropFirst() {
                    let name = part.prefix { $0 != "\"" && $0 != "'" }
                    if name.hasSuffix(".js") || name.hasSuffix(".css") { referenced.insert("/" + name) }
                }
            }
        }
        #expect(page.contains("<script type=\"module\" src=\"/app.js\">"))
        #expect(referenced == ["/style.css", "/app.js", "/api.js", "/draw.js", "/charts.js", "/train.js"])
        for path in referenced { #expect(WebAssets.asset(at: path) != nil, "\(path) is referenced but not served") }
    }

    /// Content types by extension, with charset; `/` is the same page as `/index.html`.
    @Test func contentTypesAndAliases() throws {
        for asset in WebAssets.all {
            let expected = asset.path.hasSuffix(".js") ? "text/javascript; charset=utf-8"
                : asset.path.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8"
            #expect(asset.contentType == expected, "\(asset.path)")
            #expect(!asset.body.isEmpty, "\(asset.path)")
            #expect(asset.cacheControl == "no-cache", "\(asset.path)")
        }
        let root = try #require(WebAssets.asset(at: "/"))
        let index = try #require(WebAssets.asset(at: "/index.html"))
        #expect(root.body == index.body && root.etag == index.etag)
        #expect(WebAssets.asset(at: "/missing.js") == nil)
        #expect(WebAssets.asset(at: "/WebAssets.swift") == nil)
    }

    /// The CSP forbids inline script and style: the page must carry none (no <script> body,
    /// no <style>, no style= or on*= attributes).
    @Test func pageHasNoInlineScriptOrStyle() throws {
        let page = String(decoding: try #require(WebAssets.asset(at: "/")).body, as: UTF8.self).lowercased()
        #expect(!page.contains("<style"))
        #expect(!page.contains(" style="))
        #expect(!page.contains(" onclick=") && !page.contains(" onload=") && !page.contains(" oninput="))
        for script in page.components(separatedBy: "<script").dropFirst() {
            let tag = script.prefix { $0 != ">" }
            #expect(tag.contains("src="), "inline <script\(tag)>")
            #expect(script.dropFirst(tag.count + 1).hasPrefix("</script>"), "a <script> with a body")
        }
    }

    /// FNV-1a 64 against the published test vectors, and the tag is quoted, 16 hex digits.
    @Test func etagIsQuotedFNV1a64() {
        #expect(WebAssets.etag(of: []) == "\"cbf29ce484222325\"")
        #expect(WebAssets.etag(of: Array("a".utf8)) == "\"af63dc4c8601ec8c\"")
        #expect(WebAssets.etag(of: Array("foobar".utf8)) == "\"85944171f73967e8\"")
        for asset in WebAssets.all {
            #expect(asset.etag == WebAssets.etag(of: asset.body))
            #expect(asset.etag.count == 18 && asset.etag.hasPrefix("\"") && asset.etag.hasSuffix("\""))
        }
        let distinct = Set(WebAssets.all.filter { $0.path != "/" }.map(\.etag))
        #expect(distinct.count == WebAssets.all.count - 1, "two different files share an ETag")
    }

    /// If-None-Match: exact tag, one of a list, weak form, `*`; a stale or other file's tag is no match.
    @Test func ifNoneMatch() throws {
        let asset = try #require(WebAssets.asset(at: "/app.js"))
        let other = try #require(WebAssets.asset(at: "/train.js"))
        #expect(asset.isNotModified(ifNoneMatch: asset.etag))
        #expect(asset.isNotModified(ifNoneMatch: "\(other.etag), \(asset.etag)"))
        #expect(asset.isNotModified(ifNoneMatch: "\t W/\(asset.etag) "))
        #expect(asset.isNotModified(ifNoneMatch: "*"))
        #expect(!asset.isNotModified(ifNoneMatch: other.etag))
        #expect(!asset.isNotModified(ifNoneMatch: "\"0000000000000000\""))
        #expect(!asset.isNotModified(ifNoneMatch: String(asset.etag.dropFirst().dropLast())))
        #expect(!asset.isNotModified(ifNoneMatch: ""))
    }
}
