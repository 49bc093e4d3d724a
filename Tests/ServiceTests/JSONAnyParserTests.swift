import Foundation
@testable import Service
import Testing

/// `JSONAnyParser` replaced `JSONSerialization` in the request decoders: the same trees for
/// valid JSON, an error wherever JSONSerialization gave one.
@Suite struct JSONAnyParserTests {
    /// What JSONSerialization's tree holds, in the parser's terms (numbers as Double, Bool
    /// apart from numbers, NSNull as JSONNull), so the two trees compare as text.
    static func normalized(_ value: Any) -> String {
        switch value {
        case let object as [String: Any]:
            return "{" + object.keys.sorted().map { "\($0):\(normalized(object[$0]!))" }.joined(separator: ",") + "}"
        case let array as [Any]:
            return "[" + array.map(normalized).joined(separator: ",") + "]"
        case let text as String:
            return "s\(Array(text.unicodeScalars).map(\.value))"
        case is NSNull, is JSONNull:
            return "null"
        // Before Bool and Double: on Linux an NSNumber casts to both.
        case let number as NSNumber where String(cString: number.objCType) == "c":
            return "b\(number.boolValue)"
        case let number as NSNumber:
            return "n\(number.doubleValue)"
        case let flag as Bool:
            return "b\(flag)"
        case let number as Double:
            return "n\(number)"
        default:
            return "?\(type(of: value))"
        }
    }

    static let valid = [
        #"{"image": "aGVsbG8=", "n": 1, "list": [0, 255, 0.5, -0, 1e2, 2.5E-3, -7]}"#,
        #"  [ ]  "#, #"{}"#, #"[[[[1]]], {"a": {"b": [null, true, false]}}]"#,
        #"["plain", "esc\"aped\\\/ \b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "é中😀", "\u0000"]"#,
        #"{"a": 1, "a": 2}"#, #"[12345678901234567890, 123456789012345, 0.1, 1.7976931348623157e308]"#,
        "[\"tab\tafter escape?\"]".replacingOccurrences(of: "\t", with: "\\t"),
        // JSONSerialization takes one trailing comma; so does the parser, refusing nothing it took.
        #"{"a": 1,}"#, "[1, 2 , ]", #"{"a": [1,], "b": {"c": true ,},}"#,
    ]

    static let invalid = [
        "", " ", "[", "]", "{", #"{"a"}"#, #"{"a":}"#, "[,]", "{,}", "[1,,]", "[01]", "[1.]", "[.5]", "[1e]", "[+1]",
        "[-]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "[\"a]", "[\"\u{01}\"]", #"["\x"]"#, #"["\u12"]"#,
        #"["\ud83d"]"#, #"["\ude00"]"#, "[1] [2]", "{'a': 1}", "[1e400]", "/* c */ []", "[1 2]",
    ]

    @Test func sameTreesAsJSONSerialization() throws {
        for text in Self.valid {
            let ours = try JSONAnyParser.parse(Array(text.utf8))
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8))
            #expect(Self.normalized(ours) == Self.normalized(theirs), "\(text)")
        }
    }

    @Test func rejectsWhatJSONSerializationRejects() {
        for text in Self.invalid {
            #expect(throws: JSONAnyParser.Invalid.self, "\(text)") { try JSONAnyParser.parse(Array(text.utf8)) }
            #expect(throws: (any Error).self, "\(text)") { try JSONSerialization.jsonObject(with: Data(text.utf8)) }
        }
        #expect(throws: JSONAnyParser.Invalid.self) { try JSONAnyParser.parse([0x5B, 0x22, 0xFF, 0x22, 0x5D]) }  // ["\xFF"]
    }

    /// Scalars at the top level only with `allowFragments` (`.fragmentsAllowed`).
    @Test func fragments() throws {
        for text in ["1", "\"x\"", "true", "null", " -2.5 "] {
            #expect(throws: JSONAnyParser.Invalid.self) { try JSONAnyParser.parse(Array(text.utf8)) }
            let ours = try JSONAnyParser.parse(Array(text.utf8), allowFragments: true)
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.normalized(ours) == Self.normalized(theirs), "\(text)")
        }
    }

    /// Nesting past the limit is an error, not a stack overflow; at the limit it parses.
    @Test func depthIsCapped() throws {
        let limit = JSONAnyParser.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try JSONAnyParser.parse(Array(deepest.utf8)) is [Any])
        let tooDeep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONAnyParser.Invalid.self) { try JSONAnyParser.parse(Array(tooDeep.utf8)) }
    }

    /// A slice parses as itself (KServe's JSON header is a prefix of the body).
    @Test func parsesASlice() throws {
        let body = Array(#"{"a": [1]}BINARY"#.utf8)
        let value = try JSONAnyParser.parse(body[0..<10])
        #expect(Self.normalized(value) == "{a:[n1.0]}")
    }
}
