import Foundation
import JSON
import Testing

/// The one JSON string escaper: what RFC 8259 §7 requires, written the way serde_json and
/// Python's `json` write it, and read back the same by a strict parser and by Foundation's.
@Suite struct JSONTextTests {
    private func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONText.appendQuoted(text, to: &bytes)
        var string = ""
        JSONText.appendQuoted(text, to: &string)
        #expect(Array(string.utf8) == bytes, "the String and byte forms must agree for \(text.debugDescription)")
        return string
    }

    /// Every control character below U+0020 is escaped (RFC 8259 forbids them raw): the seven
    /// with a short form get it, `\b` and `\f` included, the others `\u00XX` in lower-case hex.
    @Test func controlCharactersAreEscaped() {
        let short: [UInt8: String] = [0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"]
        for byte in UInt8(0)..<0x20 {
            let expected = short[byte] ?? "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            #expect(quoted(String(UnicodeScalar(byte))) == "\"" + expected + "\"", "byte \(byte)")
        }
        #expect(quoted("\u{7F}") == "\"\u{7F}\"", "DEL is not a control character to JSON")
    }

    @Test func quoteAndBackslashAreEscapedAndTheRestIsUTF8() {
        #expect(quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(quoted("/ é 数 🙂") == "\"/ é 数 🙂\"")
        #expect(quoted("") == "\"\"")
    }

    /// Any string written and read back, by the strict parser and by `JSONSerialization`, is
    /// the string itself.
    @Test func roundTripsThroughBothParsers() throws {
        var everyControl = ""
        for byte in UInt8(0)..<0x20 { everyControl.unicodeScalars.append(UnicodeScalar(byte)) }
        for text in [everyControl, "line\nbreak\tand \"quotes\" \\ /", "数字 🙂 \u{2028}"] {
            let json = quoted(text)
            #expect(try JSONParser.parse(Array(json.utf8)) == .string(text))
            let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
            #expect(decoded as? String == text)
        }
    }
}

/// The strict parser's values: integers stay integers only when written as integers, object
/// members come in the order written, and duplicates and deep nesting are refused.
@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONDocument { try JSONParser.parse(Array(text.utf8)) }

    @Test func numbersKeepTheirKindAsWritten() throws {
        #expect(try parse("3") == .integer(3))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("2.0") == .number(2))
        #expect(try parse("1e3") == .number(1000))
        #expect(try parse("18446744073709551615") == .unsignedInteger(.max))
        #expect(try parse("18446744073709551616") == .number(18446744073709551616))
        #expect(throws: JSONParser.Error.self) { try parse("01") }
        #expect(throws: JSONParser.Error.self) { try parse("1.") }
    }

    @Test func membersComeInTheOrderWritten() throws {
        let members = try #require(try JSONParser.parseMembersInOrder(Array(#"{"z": 1, "a": [true, null], "m": {"k": "v"}}"#.utf8)))
        #expect(members.map(\.key) == ["z", "a", "m"])
        #expect(members[1].value == .array([.bool(true), .null]))
        #expect(members[2].value == .object(["k": .string("v")]))
        #expect(try JSONParser.parseMembersInOrder(Array("[1]".utf8)) == nil)
    }

    @Test func refusesDuplicatesDepthAndTrailingContent() {
        #expect(throws: JSONParser.Error.duplicateKey("a")) { try parse(#"{"x": {"a": 1, "a": 2}}"#) }
        #expect(throws: JSONParser.Error.tooDeep(limit: JSONParser.maximumDepth)) {
            try parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        }
        #expect(throws: JSONParser.Error.self) { try parse("{} {}") }
        #expect(throws: JSONParser.Error.self) { try parse("\"a\u{01}\"") }
    }
}
