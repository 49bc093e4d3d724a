/// JSON text into the untyped tree the request decoders walk, with what `JSONSerialization`
/// gave them: `[String: Any]` objects (a repeated key: the last one wins), `[Any]` arrays,
/// `String`, `Bool`, `JSONNull` for null, and every number as a `Double` (JSONSerialization's
/// `NSNumber` only ever reached the decoders as `doubleValue`).
///
/// Why not `JSONSerialization`: it lives in full Foundation, and linking that puts ICU's data
/// (34 MB) into the binary. RFC 8259 as strictly as it: no comments, no leading zeros, no
/// control characters in strings, valid UTF-8 and surrogate pairs only, and nesting capped at
/// `maximumDepth` so a body of a million `[` cannot overflow the stack; like it, one trailing
/// comma before `]` or `}` is accepted, so no request it took is refused now.
enum JSONAnyParser {
    struct Invalid: Error, Equatable {
        let reason: String
        let offset: Int
    }

    /// JSONSerialization's own limit on nested arrays and objects.
    static let maximumDepth = 512

    /// Parses one value filling all of `bytes` (surrounding whitespace allowed). Without
    /// `allowFragments` the value must be an object or an array, as for JSONSerialization
    /// without `.fragmentsAllowed`.
    static func parse(_ bytes: ArraySlice<UInt8>, allowFragments: Bool = false) throws -> Any {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            reader.skipWhitespace()
            if !allowFragments, reader.current != UInt8(ascii: "{"), reader.current != UInt8(ascii: "[") {
                throw reader.invalid("expected an object or an array")
            }
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == buffer.count else { throw reader.invalid("unexpected content after the value") }
            return value
        }
    }

    static func parse(_ bytes: [UInt8], allowFragments: Bool = false) throws -> Any {
        try parse(bytes[...], allowFragments: allowFragments)
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        func invalid(_ reason: String) -> Invalid { Invalid(reason: reason, offset: index) }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws -> Any {
            switch current {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): try literal("true"); return true
            case UInt8(ascii: "f"): try literal("false"); return false
            case UInt8(ascii: "n"): try literal("null"); return JSONNull()
            case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): return try number()
            case .some: throw invalid("unexpected character")
            case .none: throw invalid("unexpected end of input")
            }
        }

        private mutating func object(depth: Int) throws -> [String: Any] {
            guard depth <= JSONAnyParser.maximumDepth else { throw invalid("nested too deeply") }
            index += 1  // {
            var members: [String: Any] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") { index += 1; return members }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw invalid("expected a member name") }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "expected ':'")
                skipWhitespace()
                members[key] = try value(depth: depth)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                    if current == UInt8(ascii: "}") { index += 1; return members }
                case UInt8(ascii: "}"): index += 1; return members
                default: throw invalid("expected ',' or '}'")
                }
            }
        }

        private mutating func array(depth: Int) throws -> [Any] {
            guard depth <= JSONAnyParser.maximumDepth else { throw invalid("nested too deeply") }
            index += 1  // [
            var elements: [Any] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return elements }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                    if current == UInt8(ascii: "]") { index += 1; return elements }
                case UInt8(ascii: "]"): index += 1; return elements
                default: throw invalid("expected ',' or ']'")
                }
            }
        }

        private mutating func expect(_ byte: UInt8, _ reason: String) throws {
            guard current == byte else { throw invalid(reason) }
            index += 1
        }

        private mutating func literal(_ word: StaticString) throws {
            let count = word.utf8CodeUnitCount
            let matches = index + count <= bytes.count
                && word.withUTF8Buffer { expected in expected.indices.allSatisfy { bytes[index + $0] == expected[$0] } }
            guard matches else { throw invalid("invalid literal") }
            index += count
        }

        /// A string, `index` at its opening quote. Runs without escapes are copied as they are
        /// (after UTF-8 validation); escapes are decoded into a byte buffer.
        private mutating func string() throws -> String {
            index += 1  // "
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { throw invalid("control character in a string") }
                index += 1
            }
            guard index < bytes.count else { throw invalid("unterminated string") }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try validated(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            }
            var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while true {
                guard index < bytes.count else { throw invalid("unterminated string") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return try decoded.withUnsafeBufferPointer { try validated($0) }
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escape = current else { throw invalid("unterminated string") }
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0C)
                    case UInt8(ascii: "n"): decoded.append(0x0A)
                    case UInt8(ascii: "r"): decoded.append(0x0D)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "u"): decoded.append(contentsOf: try unicodeEscape())
                    default: throw invalid("invalid escape")
                    }
                default:
                    guard byte >= 0x20 else { throw invalid("control character in a string") }
                    decoded.append(byte)
                    index += 1
                }
            }
        }

        /// The UTF-8 of a `\uXXXX` escape (`index` past the `u`), joining a surrogate pair.
        private mutating func unicodeEscape() throws -> String.UTF8View {
            let first = try hexQuad()
            var scalarValue = UInt32(first)
            if (0xD800...0xDBFF).contains(first) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw invalid("unpaired surrogate") }
                index += 2
                let second = try hexQuad()
                guard (0xDC00...0xDFFF).contains(second) else { throw invalid("unpaired surrogate") }
                scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw invalid("unpaired surrogate") }
            return String(Character(scalar)).utf8
        }

        private mutating func hexQuad() throws -> UInt16 {
            guard index + 4 <= bytes.count else { throw invalid("short \\u escape") }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: throw invalid("invalid \\u escape")
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }

        private func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
            guard let text = String(validating: utf8, as: UTF8.self) else { throw invalid("invalid UTF-8 in a string") }
            return text
        }

        /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?` as a Double. Plain integers of up to
        /// 15 digits (pixels, shapes, sizes) are summed directly; the rest go through the
        /// standard library's correctly rounded conversion.
        private mutating func number() throws -> Double {
            let start = index
            let negative = current == UInt8(ascii: "-")
            if negative { index += 1 }
            guard let first = current, (0x30...0x39).contains(first) else { throw invalid("invalid number") }
            var integer: Int64 = 0
            var digits = 0
            if first == 0x30 {
                index += 1
                digits = 1
            } else {
                while let byte = current, (0x30...0x39).contains(byte) {
                    if digits < 18 { integer = integer * 10 + Int64(byte - 0x30) }
                    digits += 1
                    index += 1
                }
            }
            var plain = true
            if current == UInt8(ascii: ".") {
                plain = false
                index += 1
                guard let byte = current, (0x30...0x39).contains(byte) else { throw invalid("invalid number") }
                while let byte = current, (0x30...0x39).contains(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                plain = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, (0x30...0x39).contains(byte) else { throw invalid("invalid number") }
                while let byte = current, (0x30...0x39).contains(byte) { index += 1 }
            }
            // An integer, as JSONSerialization read it (so "-0" is 0, not -0.0).
            if plain && digits <= 15 { return Double(negative ? -integer : integer) }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                index = start
                throw invalid("number out of range")
            }
            return value
        }
    }
}

/// JSON's null in a `JSONAnyParser` tree (where JSONSerialization gave `NSNull`).
struct JSONNull: Equatable {}
