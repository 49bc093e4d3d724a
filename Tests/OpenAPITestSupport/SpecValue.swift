import Foundation
import Service

/// A JSON or YAML value: the service's own `JSONDocument`. JSON bodies are decoded into it
/// too, so the schema check works on one representation; integers stay apart from other
/// numbers (JSON Schema's `integer`). Its accessors (`object`, `array`, `string`, `double`,
/// `int`, `bool`, `value[key]`) are the JSON module's.
public typealias SpecValue = JSONDocument

extension JSONDocument {
    /// The value as JSON text, for request bodies built from examples.
    public var jsonText: String {
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
