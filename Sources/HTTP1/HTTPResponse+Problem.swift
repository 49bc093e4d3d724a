/// RFC 9457 problem details, the one error shape of the contract.
extension HTTPResponse {
    /// An `application/problem+json` response with `type`, `title`, `status` and `detail`.
    ///
    /// - Parameters:
    ///   - status: the HTTP status, repeated in the body.
    ///   - title: a short summary; the status's reason phrase when nil.
    ///   - detail: what went wrong with this request.
    ///   - type: a URI naming the problem type; `about:blank` when nil (RFC 9457 §4.2.1).
    ///   - headers: extra headers such as `Allow` or `Retry-After`.
    public static func problem(
        status: Int, title: String? = nil, detail: String, type: String? = nil,
        headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var json = "{\"type\":"
        JSONText.appendQuoted(type ?? "about:blank", to: &json)
        json += ",\"title\":"
        JSONText.appendQuoted(title ?? reasonPhrase(for: status), to: &json)
        json += ",\"status\":\(status),\"detail\":"
        JSONText.appendQuoted(detail, to: &json)
        json += "}"
        var allHeaders = headers
        allHeaders.replaceOrAdd(name: "Content-Type", value: "application/problem+json")
        return HTTPResponse(status: status, headers: allHeaders, body: Array(json.utf8))
    }
}

/// JSON string escaping (RFC 8259 §7) for documents written by hand on hot paths.
public enum JSONText {
    /// Appends `string` as a quoted JSON string.
    public static func appendQuoted(_ string: String, to output: inout String) {
        output.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output.append("\"")
    }
}
