import JSON

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
    ///   - extensionMembers: string members besides the standard four (RFC 9457 §3.2), written
    ///     first: the inference protocols' `error`, which their clients read.
    public static func problem(
        status: Int, title: String? = nil, detail: String, type: String? = nil,
        headers: HTTPHeaders = HTTPHeaders(), extensionMembers: KeyValuePairs<String, String> = [:]
    ) -> HTTPResponse {
        var json = "{"
        for (name, value) in extensionMembers {
            JSONText.appendQuoted(name, to: &json)
            json += ":"
            JSONText.appendQuoted(value, to: &json)
            json += ","
        }
        json += "\"type\":"
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
