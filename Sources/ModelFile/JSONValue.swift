/// The JSON of a safetensors header, parsed strictly and keeping what `JSONSerialization`
/// throws away: member order, duplicate keys (rejected), and numbers as their exact text, so
/// that `2.0` or `1e3` in a shape can be told apart from an integer and refused.
enum JSONValue: Equatable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// The number's text exactly as written (already checked against the JSON grammar).
    case number(String)
    case bool(Bool)
    case null

    struct Member: Equatable {
        var key: String
        var value: JSONValue
    }

    /// The value as an `Int` when it is a plain integer literal (no fraction or exponent)
    /// that fits; `nil` otherwise.
    var integer: Int? {
        guard case .number(let text) = self, !text.contains(where: { ".eE".contains($0) }) else { return nil }
        return Int(text)
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}
