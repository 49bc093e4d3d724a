/// A strict RFC 8259 parser over UTF-8 bytes, for documents that must be read exactly as
/// written: a safetensors header, and the JSON bodies of `/predict`, KServe v2 and TF Serving.
///
/// Built for hostile input: nesting is capped so a body of a million `[` cannot overflow the
/// stack, a key repeated within one object is an error rather than last-one-wins, strings must
/// be valid UTF-8, and a number beyond `Double`'s range is refused (JSON has no infinity, so
/// such a document could not be written back). No trailing commas, comments or top-level
/// leftovers. Numbers keep their kind as written: only a literal without fraction or exponent
/// is an `.integer` (or `.unsignedInteger` above `Int64.max`), so `2.0` or `1e3` in a shape is
/// told apart from an integer and refused; integer literals beyond `UInt64` are `.number`,
/// like other numbers.
public struct JSONParser {
    public enum Error: Swift.Error, Equatable {
        case syntax(String, offset: Int)
        case duplicateKey(String)
        case tooDeep(limit: Int)
    }

    /// Deep enough for any real document (a header has three levels, a request body's tensor
    /// five), shallow enough for any stack.
    public static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Parses one value filling all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8]) throws -> JSONDocument {
        try parse(bytes[...])
    }

    /// Parses one value filling all of `bytes` (a KServe request's JSON is a prefix of its body).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> JSONDocument {
        try parseWhole(bytes) { parser in try parser.parseValue(depth: 0) }
    }

    /// Parses one value filling all of `bytes` that must be an object, and gives its members in
    /// the order written (`JSONDocument.object` is a dictionary, and a safetensors header's order
    /// is its tensors' order); nil when the value is valid JSON but not an object.
    public static func parseMembersInOrder(_ bytes: [UInt8]) throws -> [(key: String, value: JSONDocument)]? {
        try parseWhole(bytes[...]) { parser in
            guard parser.current == UInt8(ascii: "{") else {
                _ = try parser.parseValue(depth: 0)
                return nil
            }
            var members: [(key: String, value: JSONDocument)] = []
            var keys = Set<String>()
            try parser.parseMembers(depth: 0, isKnown: { !keys.insert($0).inserted }, add: { members.append(($0, $1)) })
            return members
        }
    }

    private static func parseWhole<Result>(_ bytes: ArraySlice<UInt8>, _ body: (inout JSONParser) throws -> Result) throws -> Result {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try body(&parser)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.syntaxError("unexpected content after the value") }
            return value
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

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
        case UInt8(ascii: "{"):
            var members: [String: JSONDocument] = [:]
            try parseMembers(depth: depth, isKnown: { members[$0] != nil }, add: { members[$0] = $1 })
            return .object(members)
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

    /// Reads the object at `index`, handing its members to `add` in the order written; a key
    /// `isKnown` already says was seen is refused before its value is read.
    private mutating func parseMembers(depth: Int, isKnown: (String) -> Bool, add: (String, JSONDocument) -> Void) throws {
        index += 1  // {
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
            let key = try parseString()
            guard !isKnown(key) else { throw Error.duplicateKey(key) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            add(key, try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return
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

    /// Powers of ten a `Double` holds exactly (10^22 is the last).
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: an integer when written as one
    /// and it fits 64 bits, a `Double` otherwise.
    ///
    /// The digits are summed as they are checked, so the common cases build no text: an
    /// integer of up to 18 digits is exact, and a decimal whose digits fit 53 bits scaled by a
    /// power of ten up to 10^22 is one correctly rounded multiplication or division of two
    /// exact `Double`s (Clinger's fast path), as a tensor's `0.1234567` is. Anything else goes
    /// through the standard library's correctly rounded conversion.
    private mutating func parseNumber() throws -> JSONDocument {
        let start = index
        func digit() -> UInt64? {
            guard let byte = current, (0x30...0x39).contains(byte) else { return nil }
            return UInt64(byte - 0x30)
        }
        let negative = current == UInt8(ascii: "-")
        if negative { index += 1 }
        var significand: UInt64 = 0
        var digits = 0
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digit() != nil {
            while let value = digit() {
                if digits < 19 { significand = significand * 10 + value }
                digits += 1
                index += 1
            }
        } else {
            throw syntaxError("invalid number")
        }
        var isInteger = true
        var fractionDigits = 0
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digit() != nil else { throw syntaxError("invalid number") }
            while let value = digit() {
                if digits < 19 { significand = significand * 10 + value; fractionDigits += 1 }
                digits += 1
                index += 1
            }
        }
        var exponent = 0
        var exponentIsSmall = true
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            let negativeExponent = current == UInt8(ascii: "-")
            if current == UInt8(ascii: "+") || negativeExponent { index += 1 }
            guard digit() != nil else { throw syntaxError("invalid number") }
            while let value = digit() {
                if exponent < 10_000 { exponent = exponent * 10 + Int(value) } else { exponentIsSmall = false }
                index += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        if isInteger && digits <= 18 {
            return .integer(negative ? -Int64(significand) : Int64(significand))
        }
        let scale = exponent - fractionDigits
        if !isInteger, digits <= 19, exponentIsSmall, significand <= 1 << 53, (-22...22).contains(scale) {
            let exact = Double(significand)
            let value = scale < 0 ? exact / Self.exactPowersOfTen[-scale] : exact * Self.exactPowersOfTen[scale]
            return .number(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        if isInteger, let integer = UInt64(text) { return .unsignedInteger(integer) }
        // The grammar was checked above, so `Double` reads it; only its range can fail.
        guard let value = Double(text), value.isFinite else {
            index = start
            throw syntaxError("number out of range")
        }
        return .number(value)
    }

    /// A string, `index` at its opening quote. A run without escapes (most strings, a whole
    /// base64 image among them) becomes the `String` in one validated copy; escapes are decoded
    /// into a byte buffer first.
    private mutating func parseString() throws -> String {
        index += 1  // opening quote
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            guard bytes[index] >= 0x20 else { throw syntaxError("control character in string") }
            index += 1
        }
        guard index < bytes.count else { throw syntaxError("unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return try validated(UnsafeBufferPointer(rebasing: bytes[start..<index]), start: start)
        }
        var text = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard let byte = current else { throw syntaxError("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try text.withUnsafeBufferPointer { try validated($0, start: start) }
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case 0x00..<0x20:
                index -= 1
                throw syntaxError("control character in string")
            default:
                text.append(byte)
            }
        }
    }

    /// RFC 8259 §8.1: JSON text is UTF-8; a string that is not is refused, not repaired.
    private func validated(_ utf8: UnsafeBufferPointer<UInt8>, start: Int) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw Error.syntax("invalid UTF-8 in string", offset: start) }
        return text
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
            text.append(contentsOf: String(Character(unicode)).utf8)
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
