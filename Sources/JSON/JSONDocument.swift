/// Any JSON value, kept as sent: how a job records the `POST /train` body exactly as the
/// client gave it (`request`), next to the resolved parameters (`params`).
///
/// Integers stay integers (`Int64`, or `UInt64` above its range, so a 64-bit seed or a limit
/// is never rounded through `Double`); other numbers are `Double`.
public enum JSONDocument: Codable, Hashable, Sendable {
    case object([String: JSONDocument])
    case array([JSONDocument])
    case string(String)
    case integer(Int64)
    /// An integer above `Int64.max`.
    case unsignedInteger(UInt64)
    case number(Double)
    case bool(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsignedInteger(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONDocument].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONDocument].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let members): try container.encode(members)
        case .array(let elements): try container.encode(elements)
        case .string(let text): try container.encode(text)
        case .integer(let value): try container.encode(value)
        case .unsignedInteger(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// A short name of the value's kind, for error messages (`an object`, `a string`, ...).
    public var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .unsignedInteger, .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// The value as one kind, nil when it is another: what a reader of a request or a header asks.
extension JSONDocument {
    /// The member named `key` of an object; nil for a missing member or a value that is no object.
    public subscript(key: String) -> JSONDocument? { object?[key] }

    public var object: [String: JSONDocument]? { if case .object(let members) = self { members } else { nil } }
    public var array: [JSONDocument]? { if case .array(let elements) = self { elements } else { nil } }
    public var string: String? { if case .string(let text) = self { text } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }

    /// Any number, as the `Double` nearest to what was written (tensor data, pixels).
    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsignedInteger(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// The value when it was written as an integer (no fraction or exponent) that fits `Int`;
    /// nil otherwise, so `2.0` or `1e3` is refused where a count, a size or a dimension belongs.
    public var int: Int? { if case .integer(let value) = self { Int(exactly: value) } else { nil } }
}
