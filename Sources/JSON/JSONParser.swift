/// A strict RFC 8259 parser over UTF-8 bytes (already validated as UTF-8 by the caller), for
/// documents that must be read exactly as written: a safetensors header.
///
/// Built for hostile input: nesting is capped so a header of a million `[` cannot overflow the
/// stack, and a key repeated within one object is an error rather than last-one-wins. Numbers
/// keep their kind as written: only a literal without fraction or exponent is an `.integer`
/// (or `.unsignedInteger` above `Int64.max`), so `2.0` or `1e3` in a shape is told apart from
/// an integer and refused; integer literals beyond `UInt64` are `.number`, like other numbers.
public struct JSONParser {
    public enum Error: Swift.Error, Equatable {
        case syntax(String, offset: Int)
        case duplicateKey(String)
        case tooDeep(limit: Int)
    }

    /// Deep enough for any real header (three levels), shallow enough for any stack.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    /// Parses one value filling all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8]) throws -> JSONDocument {
        try parseWhole(bytes) { parser in try parser.parseValue(depth: 0) }
    }

    /// Parses one value filling all of `bytes` that must be an object, and gives its members in
    /// the order written (`JSONDocument.object` is a dictionary, and a safetensors header's order
    /// is its tensors' order); nil when the value is valid JSON but not an object.
    public static func parseMembersInOrder(_ bytes: [UInt8]) throws -> [(key: String, value: JSONDocument)]? {
        try parseWhole(bytes) { parser in
            guard parser.current == UInt8(ascii: "{") else {
                _ = try parser.parseValue(depth: 0)
                return nil
            }
            return try parser.parseMembers(depth: 0)
        }
    }

    private static func parseWhole<Result>(_ bytes: [UInt8], _ body: (inout JSONParser) throws -> Result) throws -> Result {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try body(&parser)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.syntaxError("unexpected content after the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func syntaxError(_ message: String) -> Error { .syntax(message, offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw syntaxError("expected \(what)") }
        index += 1
    }

    private mutating func parseValue(depth: Int) throws -> JSONDocument {
        guard depth < Self.maximumDepth else { throw Error.tooDeep(limit: Self.maximumDepth) }
        switch current {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte):
            return try parseNumber()
        case .some: throw syntaxError("unexpected character")
        case .none: throw syntaxError("unexpected end of input")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONDocument {
        .object(Dictionary(uniqueKeysWithValues: try parseMembers(depth: depth).lazy.map { ($0.key, $0.value) }))
    }

    /// The members of the object at `index`, in the order written.
    private mutating func parseMembers(depth: Int) throws -> [(key: String, value: JSONDocument)] {
        index += 1  // {
        var members: [(key: String, value: JSONDocument)] = []
        var keys = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return members }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
            let key = try parseString()
            guard keys.insert(key).inserted else { throw Error.duplicateKey(key) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return members
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONDocument {
        index += 1  // [
        var elements = [JSONDocument]()
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(elements)
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw syntaxError("unexpected end of input") }
        for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
            throw syntaxError("invalid literal")
        }
        index += length
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: an integer when written as one
    /// and it fits 64 bits, a `Double` otherwise.
    private mutating func parseNumber() throws -> JSONDocument {
        let start = index
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(current) {
            while isDigit(current) { index += 1 }
        } else {
            throw syntaxError("invalid number")
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(current) else { throw syntaxError("invalid number") }
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { throw syntaxError("invalid number") }
            while isDigit(current) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        if isInteger, let integer = UInt64(text) { return .unsignedInteger(integer) }
        // The grammar was checked above, and `Double` reads every JSON number (to infinity
        // when its exponent is out of range).
        return .number(Double(text)!)
    }

    private mutating func parseString() throws -> String {
        index += 1  // opening quote
        var text = [UInt8]()
        while true {
            guard let byte = current else { throw syntaxError("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case 0x00..<0x20:
                throw syntaxError("control character in string")
            default:
                text.append(byte)
            }
        }
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws {
        guard let byte = current else { throw syntaxError("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): text.append(0x22)
        case UInt8(ascii: "\\"): text.append(0x5C)
        case UInt8(ascii: "/"): text.append(0x2F)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw syntaxError("unpaired surrogate")
                }
                index += 2
                let low = UInt32(try parseHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw syntaxError("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw syntaxError("unpaired surrogate") }
            text.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw syntaxError("invalid escape")
        }
    }

    private mutating func parseHex4() throws -> UInt16 {
        guard index + 4 <= bytes.count else { throw syntaxError("unterminated escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw syntaxError("invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}
