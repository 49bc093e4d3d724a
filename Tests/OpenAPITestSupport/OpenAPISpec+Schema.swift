import Foundation

/// JSON Schema (2020-12) validation for the keywords `openapi.yaml` uses, with `$ref`s resolved
/// against the spec; any other keyword is an error, so a schema the check cannot read fails
/// instead of passing.
extension OpenAPISpec {
    /// Keywords that only annotate; anything else unknown is reported rather than ignored.
    static let annotations: Set<String> = [
        "description", "title", "examples", "default", "format", "deprecated", "readOnly", "writeOnly",
        "contentEncoding", "contentMediaType", "$comment", "example",
    ]

    /// JSON Schema 2020-12 validation for the keywords the spec uses; returns the errors.
    public func validate(_ instance: SpecValue, against schemaValue: SpecValue, at location: String) -> [String] {
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
