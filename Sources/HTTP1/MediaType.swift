/// A parsed media type such as `multipart/form-data; boundary="x"` (RFC 9110 §8.3.1).
///
/// `type` and `subtype` are lowercased, parameter names too (they are case-insensitive);
/// parameter values keep their case with quoting and backslash escapes removed.
public struct MediaType: Sendable, Equatable {
    /// The top-level type, lowercased (`image`).
    public var type: String
    /// The subtype, lowercased (`png`).
    public var subtype: String
    /// Parameters in order: names lowercased, values unquoted.
    public var parameters: [(name: String, value: String)]

    /// Parses a `Content-Type` value; nil when it is not `type/subtype *( ; parameter )`.
    public init?(parsing text: String) {
        var scanner = ParameterScanner(Array(text.utf8))
        scanner.skipWhitespace()
        guard let type = scanner.token() else { return nil }
        guard scanner.consume(ASCII.slash), let subtype = scanner.token() else { return nil }
        guard let parameters = scanner.parameters() else { return nil }
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// `type/subtype` without parameters.
    public var essence: String { "\(type)/\(subtype)" }

    /// The value of the parameter called `name` (case-insensitive), or nil.
    public func parameter(_ name: String) -> String? {
        let lowered = name.lowercased()
        return parameters.first { $0.name == lowered }?.value
    }

    public static func == (lhs: MediaType, rhs: MediaType) -> Bool {
        lhs.type == rhs.type && lhs.subtype == rhs.subtype && lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Reads `token`, `quoted-string` and `*( OWS ";" OWS [ parameter ] )` (RFC 9110 §5.6), shared
/// by media types and `Content-Disposition`.
struct ParameterScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func skipWhitespace() {
        while index < bytes.count && (bytes[index] == ASCII.space || bytes[index] == ASCII.tab) { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func token() -> String? {
        let begin = index
        while index < bytes.count && ASCII.isToken(bytes[index]) { index += 1 }
        return index > begin ? String(decoding: bytes[begin..<index], as: UTF8.self) : nil
    }

    mutating func quotedString() -> String? {
        guard consume(ASCII.quote) else { return nil }
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == ASCII.quote { return String(decoding: value, as: UTF8.self) }
            if byte == ASCII.backslash {
                guard index < bytes.count else { return nil }
                value.append(bytes[index])
                index += 1
            } else if byte == ASCII.tab || (byte >= 0x20 && byte != 0x7F) {
                value.append(byte)
            } else {
                return nil
            }
        }
        return nil
    }

    /// The parameter list up to the end; nil on a syntax error. Names are lowercased.
    mutating func parameters() -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        while true {
            skipWhitespace()
            if isAtEnd { return result }
            guard consume(ASCII.semicolon) else { return nil }
            skipWhitespace()
            if isAtEnd { return result }
            if index < bytes.count && bytes[index] == ASCII.semicolon { continue }
            guard let name = token(), consume(ASCII.equals) else { return nil }
            guard let value = token() ?? quotedString() else { return nil }
            result.append((name.lowercased(), value))
        }
    }
}
