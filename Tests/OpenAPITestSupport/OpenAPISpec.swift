import Foundation
import TestSupport

/// The spec is valid YAML but not what this test can use (a bad `x-tests` entry, a missing
/// example, a dangling `$ref`).
public struct SpecError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One `x-tests` entry: which example to send, how, and the status it must get.
public struct ConformanceCase: Sendable {
    public var name: String
    /// The name of a request example of the operation, or nil for no body.
    public var example: String?
    /// The Content-Type to send (default: the example's `x-content-type`, else its media type).
    public var contentType: String?
    public var method: String?
    /// A concrete path for a templated one (`/models/shipped` for `/models/{id}`).
    public var path: String?
    public var query: String?
    public var headers: [String: String]
    public var status: Int
    /// `server: admin-token`: send exactly the listed headers (the server's token is
    /// `ConformanceServer.adminToken`); without it, admin operations get the token added.
    public var withAdminToken: Bool
    /// `unframed: true`: send neither `Content-Length` nor a body, as `curl -X POST` does.
    public var unframed: Bool
}

/// One operation of the spec.
public struct SpecOperation: Sendable {
    public var path: String
    public var method: String
    public var object: [String: SpecValue]

    public var responses: [String: SpecValue] { object["responses"]?.object ?? [:] }
    public var requestContents: [String: [String: SpecValue]] {
        (object["requestBody"]?["content"]?.object ?? [:]).compactMapValues(\.object)
    }

    public func testCases() throws -> [ConformanceCase] {
        try (object["x-tests"]?.array ?? []).map { entry in
            guard let name = entry["name"]?.string, let status = entry["status"]?.int else {
                throw SpecError("\(method) \(path): an x-tests entry needs name and status")
            }
            let server = entry["server"]?.string
            guard server == nil || server == "admin-token" else {
                throw SpecError("\(method) \(path) [\(name)]: unknown server \(server!)")
            }
            return ConformanceCase(
                name: name, example: entry["example"]?.string, contentType: entry["contentType"]?.string,
                method: entry["method"]?.string, path: entry["path"]?.string, query: entry["query"]?.string,
                headers: (entry["headers"]?.object ?? [:]).compactMapValues(\.string), status: status,
                withAdminToken: server == "admin-token", unframed: entry["unframed"]?.bool ?? false)
        }
    }
}

/// The parsed spec: operations, `$ref` resolution, requests built from its examples and the
/// check of a response against its documentation (the schema part in `OpenAPISpec+Schema.swift`).
public struct OpenAPISpec: Sendable {
    public var root: SpecValue

    public init(root: SpecValue) { self.root = root }

    /// `openapi.yaml` at the package root, found from this file's path.
    public static func load() throws -> OpenAPISpec {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml")
        return OpenAPISpec(root: try OpenAPIYAML.parse(try String(contentsOf: url, encoding: .utf8)))
    }

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    public var operations: [SpecOperation] {
        (root["paths"]?.object ?? [:]).sorted { $0.key < $1.key }.flatMap { path, item in
            Self.methods.compactMap { method in
                item[method]?.object.map { SpecOperation(path: path, method: method.uppercased(), object: $0) }
            }
        }
    }

    /// Follows a local `$ref` (`#/components/...`) until a value without one.
    public func resolve(_ value: SpecValue) throws -> SpecValue {
        var current = value
        var hops = 0
        while let reference = current["$ref"]?.string {
            guard reference.hasPrefix("#/"), hops < 32 else {
                throw SpecError("unresolvable $ref \(reference)")
            }
            var target: SpecValue? = root
            for part in reference.dropFirst(2).split(separator: "/") {
                target = target?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
            }
            guard let found = target else { throw SpecError("dangling $ref \(reference)") }
            current = found
            hops += 1
        }
        return current
    }

    // MARK: Requests from examples

    public func request(for testCase: ConformanceCase, of operation: SpecOperation) throws -> ConformanceRequest {
        var body: [UInt8] = []
        var contentType = testCase.contentType
        if let name = testCase.example {
            let candidates = operation.requestContents.filter { $0.value["examples"]?[name] != nil }
            let chosen = candidates.count == 1 ? candidates.first
                : candidates.first { $0.key == testCase.contentType }
            guard let (mediaType, content) = chosen, let example = content["examples"]?[name] else {
                throw SpecError("\(operation.path): example \(name) not found or ambiguous")
            }
            let resolved = try resolve(example)
            if let base64 = resolved["x-value-base64"]?.string {
                guard let data = Data(base64Encoded: base64) else {
                    throw SpecError("\(name): x-value-base64 is not base64")
                }
                body = Array(data)
            } else if let text = resolved["value"]?.string, !mediaType.hasSuffix("json") {
                body = Array(text.utf8)
            } else if let value = resolved["value"] {
                body = Array(value.jsonText.utf8)
            }
            contentType = contentType ?? resolved["x-content-type"]?.string ?? mediaType
        }
        var path = testCase.path ?? operation.path
        if let query = testCase.query { path += "?" + query }
        var headers = testCase.headers
        if let contentType, testCase.example != nil { headers["Content-Type"] = contentType }
        return ConformanceRequest(method: testCase.method ?? operation.method, target: path, headers: headers, body: body,
                                  framed: !testCase.unframed)
    }

    // MARK: Checking responses

    /// What is wrong with `response` as an answer of `operation`: an undocumented status, media
    /// type or missing required header, or a body against the schema.
    public func violations(of response: RawHTTPResponse, documentedBy operation: SpecOperation) -> [String] {
        guard let documented = operation.responses[String(response.status)] ?? operation.responses["default"] else {
            return ["status \(response.status) is not documented"]
        }
        let resolved: SpecValue
        do { resolved = try resolve(documented) } catch { return ["\(error)"] }
        var problems: [String] = []
        for (name, header) in resolved["headers"]?.object ?? [:] {
            guard let header = try? resolve(header) else { continue }
            if header["required"] == .bool(true) && response.header(name) == nil {
                problems.append("required header \(name) is missing")
            }
        }
        let contents = resolved["content"]?.object ?? [:]
        if contents.isEmpty {
            if !response.body.isEmpty && response.status != 204 { problems.append("a body where none is documented") }
            return problems
        }
        let actualType = (response.header("Content-Type") ?? "").lowercased()
        let actualParameters = Set(actualType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
        guard let (mediaType, content) = contents.first(where: { key, _ in
            let parts = key.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            return parts.first == actualType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
                && parts.dropFirst().allSatisfy(actualParameters.contains)
        }) else {
            return problems + ["Content-Type \(actualType) is not among the documented \(contents.keys.sorted())"]
        }
        guard let schema = content["schema"] else { return problems }
        let instance: SpecValue
        if mediaType.hasSuffix("json") {
            do {
                instance = try JSONDecoder().decode(SpecValue.self, from: Data(response.body))
            } catch {
                return problems + ["the body is not JSON: \(response.text.prefix(200))"]
            }
        } else if mediaType.hasSuffix("yaml") {
            do {
                instance = try OpenAPIYAML.parse(response.text)
            } catch {
                return problems + ["the body is not YAML in the subset: \(error)"]
            }
        } else {
            instance = .string(response.text)
        }
        return problems + validate(instance, against: schema, at: "body")
    }
}
