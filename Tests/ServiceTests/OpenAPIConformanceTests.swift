import OpenAPITestSupport
import Service
import Testing

/// Keeps `openapi.yaml` true to the code: a live server answers every request the spec lists
/// in its operations' `x-tests`, and each answer must have the documented status, media type,
/// required headers and a body valid against the documented schema.
///
/// Why `x-tests` and a small YAML reader instead of a sidecar file or a YAML package: the spec
/// is the single source of truth. Each `x-tests` entry names one of the operation's own
/// request `examples` (so the examples a reader sees are exactly the ones proven to work) and
/// the status it must get; the schemas checked are the spec's own. Foundation has no YAML
/// parser and the package takes no dependency for a test, so `OpenAPIYAML` (in the
/// OpenAPITestSupport module, with the schema validator, the spec model and the in-process
/// server) reads the block subset the spec is written in and throws on anything else, so an
/// edit outside the subset fails loudly instead of being skipped.
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
                let response = try request.send(port: server.port)
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
