import Foundation
import Logging
import Service
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Keeps `openapi.yaml` true to the code: a live server answers every request the spec lists
/// in its operations' `x-tests`, and each answer must have the documented status, media type,
/// required headers and a body valid against the documented schema.
///
/// Why `x-tests` and a small YAML reader instead of a sidecar file or a YAML package: the spec
/// is the single source of truth. Each `x-tests` entry names one of the operation's own
/// request `examples` (so the examples a reader sees are exactly the ones proven to work) and
/// the status it must get; the schemas checked are the spec's own. Foundation has no YAML
/// parser and the package takes no dependency for a test, so `OpenAPIYAML` reads the block
/// subset the spec is written in and throws on anything else, so an edit outside the subset
/// fails loudly instead of being skipped.
@Suite("OpenAPI conformance", .serialized)
struct OpenAPIConformanceTests {
    /// Every `x-tests` request, sent to one in-process server, gets the documented answer.
    @Test func documentedRequestsGetDocumentedResponses() throws {
        let spec = try OpenAPISpec.load()
        let server = try ConformanceServer()
        defer { server.stop() }
        var checked = 0
        for operation in spec.operations {
            for testCase in try operation.testCases() {
                var request = try spec.request(for: testCase, of: operation)
                // Entries without `server: admin-token` act as an admin client: they send the
                // token to operations that need it. The others send exactly what they list.
                if !testCase.withAdminToken && operation.object["security"] != nil
                    && !request.headers.keys.contains(where: { $0.lowercased() == "authorization" }) {
                    request.headers["Authorization"] = "Bearer \(ConformanceServer.adminToken)"
                }
                let response = try RawHTTP.send(request, port: server.port)
                let label = "\(operation.method) \(operation.path) [\(testCase.name)]"
                #expect(response.status == testCase.status,
                        "\(label): status \(response.status), expected \(testCase.status): \(response.text.prefix(300))")
                for problem in spec.violations(of: response, documentedBy: operation) {
                    Issue.record("\(label): \(problem)")
                }
                checked += 1
            }
        }
        #expect(checked >= spec.operations.count, "only \(checked) documented requests were checked")
    }

    /// Every operation has an `operationId` (unique) and at least one `x-tests` request, so no
    /// endpoint goes unchecked.
    @Test func everyOperationIsIdentifiedAndTested() throws {
        let spec = try OpenAPISpec.load()
        #expect(!spec.operations.isEmpty)
        var seen: Set<String> = []
        for operation in spec.operations {
            let id = operation.object["operationId"]?.string
            #expect(id != nil, "\(operation.method) \(operation.path) has no operationId")
            if let id { #expect(seen.insert(id).inserted, "operationId \(id) is used twice") }
            #expect(try !operation.testCases().isEmpty, "\(operation.method) \(operation.path) has no x-tests")
        }
    }

    /// Every request example is sent by some `x-tests` entry: an example nobody sends is an
    /// example nobody has proven.
    @Test func everyRequestExampleIsExercised() throws {
        let spec = try OpenAPISpec.load()
        for operation in spec.operations {
            let used = Set(try operation.testCases().compactMap(\.example))
            for (mediaType, content) in operation.requestContents {
                for name in (content["examples"]?.object ?? [:]).keys {
                    #expect(used.contains(name), "\(operation.path): example \(name) (\(mediaType)) is in no x-tests entry")
                }
            }
        }
    }

    /// The response examples (captured from a running server) are valid against their own
    /// schemas, so the documentation cannot drift from the schemas the live check uses.
    @Test func responseExamplesMatchTheirSchemas() throws {
        let spec = try OpenAPISpec.load()
        var checked = 0
        for operation in spec.operations {
            for (status, response) in operation.responses {
                let resolved = try spec.resolve(response)
                for (mediaType, content) in resolved["content"]?.object ?? [:] {
                    guard let schema = content["schema"], let examples = content["examples"]?.object else { continue }
                    for (name, example) in examples {
                        let resolvedExample = try spec.resolve(example)
                        guard let value = resolvedExample["value"] else { continue }
                        for error in spec.validate(value, against: schema, at: "example") {
                            Issue.record("\(operation.path) \(status) \(mediaType) example \(name): \(error)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked >= 5)
    }

    /// The reader and the validator themselves: the subset they accept, and that they reject
    /// what they do not understand instead of passing it.
    @Test func yamlReaderAndValidatorBehave() throws {
        let document = try OpenAPIYAML.parse("""
            a: 1
            b: 'x: y'
            c: [1, "two", {d: true}]
            e:
              - f: 2
                g: null
              - plain text
            h: |
              line one
                indented
            '200': ok
            """)
        #expect(document["a"] == .integer(1))
        #expect(document["b"] == .string("x: y"))
        #expect(document["c"] == .array([.integer(1), .string("two"), .object(["d": .bool(true)])]))
        #expect(document["e"]?.array?.first == .object(["f": .integer(2), "g": .null]))
        #expect(document["e"]?.array?.last == .string("plain text"))
        #expect(document["h"] == .string("line one\n  indented\n"))
        #expect(document["200"] == .string("ok"))
        #expect(throws: OpenAPIYAML.Unsupported.self) { try OpenAPIYAML.parse("a: &anchor 1") }
        #expect(throws: OpenAPIYAML.Unsupported.self) { try OpenAPIYAML.parse("a: >\n  folded\n") }

        let spec = OpenAPISpec(root: .object([:]))
        let schema: SpecValue = .object([
            "type": .string("object"), "required": .array([.string("n")]), "additionalProperties": .bool(false),
            "properties": .object(["n": .object(["type": .string("integer"), "maximum": .integer(9)])]),
        ])
        #expect(spec.validate(.object(["n": .integer(3)]), against: schema, at: "$").isEmpty)
        #expect(!spec.validate(.object(["n": .integer(10)]), against: schema, at: "$").isEmpty)
        #expect(!spec.validate(.object(["n": .number(1.5)]), against: schema, at: "$").isEmpty)
        #expect(!spec.validate(.object(["n": .integer(1), "x": .null]), against: schema, at: "$").isEmpty)
        #expect(!spec.validate(.object([:]), against: schema, at: "$").isEmpty)
        #expect(!spec.validate(.integer(1), against: .object(["minLength": .integer(1), "frobnicate": .bool(true)]),
                               at: "$").isEmpty)
    }
}

// MARK: - The document

/// A JSON or YAML value: the service's own `JSONDocument`. JSON bodies are decoded into it
/// too, so the schema check works on one representation; integers stay apart from other
/// numbers (JSON Schema's `integer`).
typealias SpecValue = JSONDocument

extension JSONDocument {
    subscript(key: String) -> SpecValue? { object?[key] }
    var object: [String: SpecValue]? { if case .object(let members) = self { return members } else { return nil } }
    var array: [SpecValue]? { if case .array(let elements) = self { return elements } else { return nil } }
    var string: String? { if case .string(let text) = self { return text } else { return nil } }
    var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .unsignedInteger(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }
    var int: Int? { if case .integer(let value) = self { return Int(value) } else { return nil } }
    var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }

    /// The value as JSON text, for request bodies built from examples.
    var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .unsignedInteger(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let text):
            let data = try! JSONSerialization.data(withJSONObject: [text])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case .array(let elements): return "[" + elements.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { SpecValue.string($0.key).jsonText + ":" + $0.value.jsonText }
                .joined(separator: ",") + "}"
        }
    }
}

/// A reader for the YAML subset `openapi.yaml` is written in: block mappings and sequences by
/// indentation, `- key: value` items, plain and quoted scalars, one-line flow collections
/// (`[...]`, `{...}`), literal block scalars (`|`, `|-`) and full-line comments. Anchors,
/// tags, folded scalars, multi-line flow collections and trailing comments are refused.
enum OpenAPIYAML {
    struct Unsupported: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "openapi.yaml line \(line): \(reason)" }
    }

    private struct Line {
        var number: Int
        var indent: Int
        var text: String  // without the indentation
    }

    static func parse(_ source: String) throws -> SpecValue {
        var reader = Reader(lines: source.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, raw in
            let text = String(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            let indent = text.prefix { $0 == " " }.count
            return Line(number: index + 1, indent: indent, text: String(text.dropFirst(indent)))
        })
        reader.skipBlank()
        guard let first = reader.peek else { return .null }
        let value = try reader.node(indent: first.indent)
        reader.skipBlank()
        if let extra = reader.peek { throw Unsupported(line: extra.number, reason: "unexpected indentation") }
        return value
    }

    private struct Reader {
        var lines: [Line]
        var position = 0

        var peek: Line? { position < lines.count ? lines[position] : nil }

        /// Skips empty lines and full-line comments (never inside block scalars, which read raw lines).
        mutating func skipBlank() {
            while let line = peek, line.text.isEmpty || line.text.hasPrefix("#") { position += 1 }
        }

        mutating func node(indent: Int) throws -> SpecValue {
            skipBlank()
            guard let line = peek, line.indent == indent else { return .null }
            return line.text == "-" || line.text.hasPrefix("- ") ? try sequence(indent: indent) : try mapping(indent: indent)
        }

        mutating func sequence(indent: Int) throws -> SpecValue {
            var items: [SpecValue] = []
            while true {
                skipBlank()
                guard let line = peek, line.indent == indent, line.text == "-" || line.text.hasPrefix("- ") else { break }
                let rest = String(line.text.dropFirst(line.text == "-" ? 1 : 2))
                let restIndent = indent + 2 + rest.prefix { $0 == " " }.count
                let trimmed = rest.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    position += 1
                    skipBlank()
                    guard let child = peek, child.indent > indent else { items.append(.null); continue }
                    items.append(try node(indent: child.indent))
                } else if OpenAPIYAML.keySplit(trimmed) != nil && !trimmed.hasPrefix("{") && !trimmed.hasPrefix("[") {
                    // `- key: value`: the item is a mapping whose first line is this one.
                    lines[position] = Line(number: line.number, indent: restIndent, text: trimmed)
                    items.append(try mapping(indent: restIndent))
                } else {
                    position += 1
                    items.append(try OpenAPIYAML.scalarOrFlow(trimmed, line: line.number))
                }
            }
            return .array(items)
        }

        mutating func mapping(indent: Int) throws -> SpecValue {
            var members: [String: SpecValue] = [:]
            while true {
                skipBlank()
                guard let line = peek, line.indent >= indent else { break }
                guard line.indent == indent else { throw Unsupported(line: line.number, reason: "unexpected indentation") }
                guard !line.text.hasPrefix("- ") else { break }
                guard let (rawKey, rawValue) = OpenAPIYAML.keySplit(line.text) else {
                    throw Unsupported(line: line.number, reason: "expected `key: value`")
                }
                let key = try OpenAPIYAML.scalarOrFlow(rawKey, line: line.number)
                let keyText: String
                switch key {
                case .string(let text): keyText = text
                case .integer(let value): keyText = String(value)
                default: throw Unsupported(line: line.number, reason: "keys must be strings")
                }
                guard members[keyText] == nil else { throw Unsupported(line: line.number, reason: "duplicate key \(keyText)") }
                position += 1
                let value = rawValue.trimmingCharacters(in: .whitespaces)
                if value == "|" || value == "|-" {
                    members[keyText] = .string(blockScalar(parentIndent: indent, keepFinalNewline: value == "|"))
                } else if value.hasPrefix(">") {
                    throw Unsupported(line: line.number, reason: "folded block scalars are not in the subset")
                } else if value.isEmpty {
                    skipBlank()
                    if let child = peek, child.indent > indent {
                        members[keyText] = try node(indent: child.indent)
                    } else if let child = peek, child.indent == indent, child.text.hasPrefix("- ") {
                        members[keyText] = try sequence(indent: indent)
                    } else {
                        members[keyText] = .null
                    }
                } else {
                    members[keyText] = try OpenAPIYAML.scalarOrFlow(value, line: line.number)
                }
            }
            return .object(members)
        }

        /// The lines indented deeper than the parent (and blank lines among them), with the
        /// first line's indentation removed.
        mutating func blockScalar(parentIndent: Int, keepFinalNewline: Bool) -> String {
            var collected: [Line] = []
            while let line = peek, line.text.isEmpty || line.indent > parentIndent {
                collected.append(line)
                position += 1
            }
            while let last = collected.last, last.text.isEmpty { collected.removeLast() }
            let base = collected.first?.indent ?? 0
            let text = collected.map { $0.text.isEmpty ? "" : String(repeating: " ", count: $0.indent - base) + $0.text }
                .joined(separator: "\n")
            return keepFinalNewline && !collected.isEmpty ? text + "\n" : text
        }
    }

    /// Splits `key: value` (or `key:`) at the first colon outside quotes that ends the line
    /// or is followed by a space.
    static func keySplit(_ text: String) -> (String, String)? {
        let characters = Array(text)
        var quote: Character?
        var index = 0
        if characters.first == "{" || characters.first == "[" { return nil }
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if character == open {
                    if open == "'" && index + 1 < characters.count && characters[index + 1] == "'" { index += 1 } else { quote = nil }
                } else if open == "\"" && character == "\\" { index += 1 }
            } else if (character == "'" || character == "\"") && index == 0 {
                quote = character
            } else if character == ":" && (index + 1 == characters.count || characters[index + 1] == " ") {
                return (String(characters[..<index]), String(characters[(index + 1)...]))
            }
            index += 1
        }
        return nil
    }

    static func scalarOrFlow(_ text: String, line: Int) throws -> SpecValue {
        var parser = FlowParser(characters: Array(text), line: line)
        let value = try parser.value(inFlow: false)
        parser.skipSpaces()
        guard parser.atEnd else { throw Unsupported(line: line, reason: "trailing text after a value: \(text)") }
        return value
    }

    /// One-line flow values: quoted strings, plain scalars, `[...]`, `{...}`.
    private struct FlowParser {
        let characters: [Character]
        let line: Int
        var index = 0

        var atEnd: Bool { index >= characters.count }

        mutating func skipSpaces() { while !atEnd && characters[index] == " " { index += 1 } }

        mutating func value(inFlow: Bool) throws -> SpecValue {
            skipSpaces()
            guard !atEnd else { return .null }
            switch characters[index] {
            case "[":
                index += 1
                var elements: [SpecValue] = []
                skipSpaces()
                if !atEnd && characters[index] == "]" { index += 1; return .array(elements) }
                while true {
                    elements.append(try value(inFlow: true))
                    skipSpaces()
                    guard !atEnd else { throw Unsupported(line: line, reason: "unclosed [") }
                    if characters[index] == "]" { index += 1; return .array(elements) }
                    guard characters[index] == "," else { throw Unsupported(line: line, reason: "expected , or ]") }
                    index += 1
                }
            case "{":
                index += 1
                var members: [String: SpecValue] = [:]
                skipSpaces()
                if !atEnd && characters[index] == "}" { index += 1; return .object(members) }
                while true {
                    guard case .string(let key) = try value(inFlow: true) else {
                        throw Unsupported(line: line, reason: "flow mapping keys must be strings")
                    }
                    skipSpaces()
                    guard !atEnd, characters[index] == ":" else { throw Unsupported(line: line, reason: "expected : after \(key)") }
                    index += 1
                    members[key] = try value(inFlow: true)
                    skipSpaces()
                    guard !atEnd else { throw Unsupported(line: line, reason: "unclosed {") }
                    if characters[index] == "}" { index += 1; return .object(members) }
                    guard characters[index] == "," else { throw Unsupported(line: line, reason: "expected , or }") }
                    index += 1
                }
            case "\"":
                return .string(try doubleQuoted())
            case "'":
                index += 1
                var text = ""
                while true {
                    guard !atEnd else { throw Unsupported(line: line, reason: "unclosed '") }
                    let character = characters[index]
                    index += 1
                    if character == "'" {
                        if !atEnd && characters[index] == "'" { text.append("'"); index += 1 } else { break }
                    } else {
                        text.append(character)
                    }
                }
                return .string(text)
            case "&", "*", "!", "%", "@", "`", ">", "|":
                throw Unsupported(line: line, reason: "\(characters[index]) starts YAML syntax outside the subset")
            default:
                let start = index
                while !atEnd {
                    let character = characters[index]
                    if inFlow && (character == "," || character == "]" || character == "}") { break }
                    if character == ":" && (index + 1 == characters.count || characters[index + 1] == " ") && inFlow { break }
                    if character == "#" && index > start && characters[index - 1] == " " {
                        throw Unsupported(line: line, reason: "trailing comments are not in the subset")
                    }
                    index += 1
                }
                return OpenAPIYAML.plain(String(characters[start..<index]).trimmingCharacters(in: .whitespaces))
            }
        }

        /// A double-quoted scalar with JSON's escapes (the only ones the spec uses).
        mutating func doubleQuoted() throws -> String {
            let start = index
            index += 1
            while !atEnd && characters[index] != "\"" {
                if characters[index] == "\\" { index += 1 }
                index += 1
            }
            guard !atEnd else { throw Unsupported(line: line, reason: "unclosed \"") }
            index += 1
            let literal = String(characters[start..<index])
            guard let decoded = try? JSONDecoder().decode(String.self, from: Data(literal.utf8)) else {
                throw Unsupported(line: line, reason: "escape outside JSON's set in \(literal)")
            }
            return decoded
        }
    }

    /// YAML 1.2 core schema resolution of a plain scalar.
    static func plain(_ text: String) -> SpecValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            if let value = Int64(text) { return .integer(value) }
            if text.contains(where: { $0.isNumber }), !text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }),
               let value = Double(text) { return .number(value) }
            return .string(text)
        }
    }
}

/// The spec is valid YAML but not what this test can use (a bad `x-tests` entry, a missing
/// example, a dangling `$ref`).
struct SpecError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One `x-tests` entry: which example to send, how, and the status it must get.
struct ConformanceCase {
    var name: String
    /// The name of a request example of the operation, or nil for no body.
    var example: String?
    /// The Content-Type to send (default: the example's `x-content-type`, else its media type).
    var contentType: String?
    var method: String?
    /// A concrete path for a templated one (`/models/shipped` for `/models/{id}`).
    var path: String?
    var query: String?
    var headers: [String: String]
    var status: Int
    /// `server: admin-token`: send exactly the listed headers (the server's token is
    /// `ConformanceServer.adminToken`); without it, admin operations get the token added.
    var withAdminToken: Bool
    /// `unframed: true`: send neither `Content-Length` nor a body, as `curl -X POST` does.
    var unframed: Bool
}

/// One operation of the spec.
struct SpecOperation {
    var path: String
    var method: String
    var object: [String: SpecValue]

    var responses: [String: SpecValue] { object["responses"]?.object ?? [:] }
    var requestContents: [String: [String: SpecValue]] {
        (object["requestBody"]?["content"]?.object ?? [:]).compactMapValues(\.object)
    }

    func testCases() throws -> [ConformanceCase] {
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

/// The parsed spec: operations, `$ref` resolution, and a JSON Schema (2020-12) validator for
/// the keywords the spec uses.
struct OpenAPISpec {
    var root: SpecValue

    /// `openapi.yaml` at the package root, found from this file's path.
    static func load() throws -> OpenAPISpec {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml")
        return OpenAPISpec(root: try OpenAPIYAML.parse(try String(contentsOf: url, encoding: .utf8)))
    }

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    var operations: [SpecOperation] {
        (root["paths"]?.object ?? [:]).sorted { $0.key < $1.key }.flatMap { path, item in
            Self.methods.compactMap { method in
                item[method]?.object.map { SpecOperation(path: path, method: method.uppercased(), object: $0) }
            }
        }
    }

    /// Follows a local `$ref` (`#/components/...`) until a value without one.
    func resolve(_ value: SpecValue) throws -> SpecValue {
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

    func request(for testCase: ConformanceCase, of operation: SpecOperation) throws -> RawHTTP.Request {
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
        return RawHTTP.Request(method: testCase.method ?? operation.method, target: path, headers: headers, body: body,
                               framed: !testCase.unframed)
    }

    // MARK: Checking responses

    /// What is wrong with `response` as an answer of `operation`: an undocumented status, media
    /// type or missing required header, or a body against the schema.
    func violations(of response: RawHTTP.Response, documentedBy operation: SpecOperation) -> [String] {
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

    /// Keywords that only annotate; anything else unknown is reported rather than ignored.
    static let annotations: Set<String> = [
        "description", "title", "examples", "default", "format", "deprecated", "readOnly", "writeOnly",
        "contentEncoding", "contentMediaType", "$comment", "example",
    ]

    /// JSON Schema 2020-12 validation for the keywords the spec uses; returns the errors.
    func validate(_ instance: SpecValue, against schemaValue: SpecValue, at location: String) -> [String] {
        if schemaValue == .bool(true) { return [] }
        if schemaValue == .bool(false) { return ["\(location): no value is allowed here"] }
        let schema: [String: SpecValue]
        do {
            guard let object = try resolve(schemaValue).object else { return ["\(location): a schema must be an object"] }
            schema = object
        } catch {
            return ["\(location): \(error)"]
        }
        var errors: [String] = []
        for (keyword, argument) in schema {
            switch keyword {
            case "type":
                let types = argument.array?.compactMap(\.string) ?? argument.string.map { [$0] } ?? []
                if !types.contains(where: { Self.hasType(instance, $0) }) {
                    errors.append("\(location): expected \(types.joined(separator: " or ")), got \(instance.jsonText.prefix(80))")
                }
            case "const":
                if !Self.equal(instance, argument) { errors.append("\(location): expected \(argument.jsonText)") }
            case "enum":
                if !(argument.array ?? []).contains(where: { Self.equal(instance, $0) }) {
                    errors.append("\(location): \(instance.jsonText.prefix(80)) is not one of \(argument.jsonText)")
                }
            case "required":
                if let members = instance.object {
                    for name in argument.array?.compactMap(\.string) ?? [] where members[name] == nil {
                        errors.append("\(location): missing required \(name)")
                    }
                }
            case "properties":
                if let members = instance.object {
                    for (name, subschema) in argument.object ?? [:] {
                        if let value = members[name] { errors += validate(value, against: subschema, at: "\(location).\(name)") }
                    }
                }
            case "additionalProperties":
                if let members = instance.object {
                    let known = Set(schema["properties"]?.object?.keys.map { $0 } ?? [])
                    for (name, value) in members where !known.contains(name) {
                        errors += validate(value, against: argument, at: "\(location).\(name) (undocumented)")
                    }
                }
            case "items":
                for (index, element) in (instance.array ?? []).enumerated() {
                    errors += validate(element, against: argument, at: "\(location)[\(index)]")
                }
            case "minItems":
                if let elements = instance.array, elements.count < argument.int ?? 0 {
                    errors.append("\(location): \(elements.count) items, at least \(argument.int ?? 0) documented")
                }
            case "maxItems":
                if let elements = instance.array, elements.count > argument.int ?? Int.max {
                    errors.append("\(location): \(elements.count) items, at most \(argument.int ?? 0) documented")
                }
            case "minLength":
                if let text = instance.string, text.count < argument.int ?? 0 { errors.append("\(location): shorter than \(argument.int ?? 0)") }
            case "maxLength":
                if let text = instance.string, text.count > argument.int ?? Int.max { errors.append("\(location): longer than \(argument.int ?? 0)") }
            case "minimum":
                if let value = instance.double, let bound = argument.double, value < bound { errors.append("\(location): \(value) < \(bound)") }
            case "maximum":
                if let value = instance.double, let bound = argument.double, value > bound { errors.append("\(location): \(value) > \(bound)") }
            case "exclusiveMinimum":
                if let value = instance.double, let bound = argument.double, value <= bound { errors.append("\(location): \(value) <= \(bound)") }
            case "exclusiveMaximum":
                if let value = instance.double, let bound = argument.double, value >= bound { errors.append("\(location): \(value) >= \(bound)") }
            case "pattern":
                if let text = instance.string, let pattern = argument.string,
                   (try? NSRegularExpression(pattern: pattern))?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    errors.append("\(location): \(text.prefix(80)) does not match \(pattern)")
                }
            case "oneOf":
                let matching = (argument.array ?? []).filter { validate(instance, against: $0, at: location).isEmpty }.count
                if matching != 1 { errors.append("\(location): matches \(matching) of the oneOf schemas, not exactly one") }
            case "anyOf":
                if !(argument.array ?? []).contains(where: { validate(instance, against: $0, at: location).isEmpty }) {
                    errors.append("\(location): matches none of the anyOf schemas")
                }
            case "allOf":
                for subschema in argument.array ?? [] { errors += validate(instance, against: subschema, at: location) }
            case "$ref":
                break  // resolved above
            default:
                if !Self.annotations.contains(keyword) { errors.append("\(location): schema keyword \(keyword) is not checked by this test") }
            }
        }
        return errors
    }

    static func hasType(_ value: SpecValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("integer", .integer), ("integer", .unsignedInteger), ("number", .integer), ("number", .unsignedInteger),
             ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }

    static func equal(_ lhs: SpecValue, _ rhs: SpecValue) -> Bool {
        if let left = lhs.double, let right = rhs.double { return left == right }
        return lhs == rhs
    }
}

// MARK: - The live server and a raw client

/// A private in-process service for this suite: loopback, an ephemeral port, a temporary
/// state directory, the shipped model (or `MNIST_CNN_TEST_MODEL`), an empty training-data
/// directory (so a queued job fails at once instead of training), and the admin token the
/// spec's x-tests send.
final class ConformanceServer {
    /// The token of the `server: admin-token` entries; the spec's x-tests send it literally.
    static let adminToken = "openapi-conformance-token"

    let app: ServiceApp
    let stateDirectory: TemporaryDirectory

    init() throws {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let environment = ProcessInfo.processInfo.environment
        let model = environment["MNIST_CNN_TEST_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root.appendingPathComponent("models/mnist-cnn.safetensors").path
        stateDirectory = try TemporaryDirectory(prefix: "mnist-cnn-openapi-test")
        var configuration = ServiceConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.modelPath = model
        configuration.stateDirectory = stateDirectory.path
        configuration.mnistDirectory = stateDirectory.file("empty-mnist")
        configuration.batching = InferenceBatcher.Settings(maxBatchSize: 16, maxQueueDelayMicroseconds: 0, threads: 1)
        configuration.http.eventLoopCount = 1
        configuration.trainingThreads = 1
        configuration.adminToken = Self.adminToken
        var logger = Logger(label: "openapi-conformance")
        logger.logLevel = .warning
        do {
            try FileManager.default.createDirectory(atPath: configuration.mnistDirectory!, withIntermediateDirectories: true)
            app = try ServiceApp(configuration: configuration, logger: logger)
            try app.start()
        } catch {
            stateDirectory.remove()
            throw error
        }
    }

    var port: Int { app.port }

    func stop() {
        app.shutdown()
        app.waitUntilStopped()
        stateDirectory.remove()
    }
}

/// One request per connection (`Connection: close`), read to EOF: the simplest client that
/// sends exactly the bytes the spec documents and sees exactly what the server answers.
enum RawHTTP {
    struct Request {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
        /// Whether to declare the body with `Content-Length` (always, for POST, PUT and PATCH).
        var framed = true
    }

    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func send(_ request: Request, port: Int) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port): errno \(errno)") }

        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if request.framed && (!request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)) {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        let bytes = Array((head + "\r\n").utf8) + request.body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure(description: "write failed: errno \(errno)") }
            sent += count
        }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "read failed after \(received.count) bytes: errno \(errno)") }
            received += buffer[0..<count]
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(lines[0])")
        }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }
}
