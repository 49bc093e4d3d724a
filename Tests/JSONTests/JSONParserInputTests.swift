import JSON
import Testing

/// What the parser accepts and refuses as the reader of request bodies (`/predict`, KServe v2,
/// TF Serving), the cases the request decoders' former `JSONSerialization` imitation was held
/// to, now against RFC 8259 itself.
@Suite struct JSONParserInputTests {
    private func parse(_ text: String) throws -> JSONDocument { try JSONParser.parse(Array(text.utf8)) }

    @Test func readsEveryKindOfValue() throws {
        let text = #"{"image": "aGVsbG8=", "list": [0, 255, 0.5, -0, 1e2, 2.5E-3, -7], "n": null, "t": true, "f": false}"#
        #expect(try parse(text) == .object([
            "image": .string("aGVsbG8="), "n": .null, "t": .bool(true), "f": .bool(false),
            "list": .array([.integer(0), .integer(255), .number(0.5), .integer(0), .number(100), .number(0.0025), .integer(-7)]),
        ]))
        #expect(try parse("  [ ]  ") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse(#"[[[[1]]], {"a": {"b": [null]}}]"#)
            == .array([.array([.array([.array([.integer(1)])])]), .object(["a": .object(["b": .array([.null])])])]))
        // RFC 8259 allows any value at the top level.
        #expect(try parse(" -2.5 ") == .number(-2.5))
        #expect(try parse(#""x""#) == .string("x"))
    }

    @Test func decodesEscapesAndUTF8() throws {
        #expect(try parse(#"["esc\"aped\\\/ \b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "é中😀", "\u0000"]"#) == .array([
            .string("esc\"aped\\/ \u{08}\u{0C}\n\r\t"), .string("é中"), .string("😀"), .string("é中😀"), .string("\u{0}"),
        ]))
    }

    @Test func refusesWhatIsNotJSON() {
        let invalid = [
            "", " ", "[", "]", "{", #"{"a"}"#, #"{"a":}"#, "[,]", "{,}", "[1,,]", "[01]", "[1.]", "[.5]", "[1e]", "[+1]",
            "[-]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "[\"a]", "[\"\u{01}\"]", #"["\x"]"#, #"["\u12"]"#,
            #"["\ud83d"]"#, #"["\ude00"]"#, "[1] [2]", "{'a': 1}", "/* c */ []", "[1 2]",
            // JSONSerialization took one trailing comma; RFC 8259 does not.
            #"{"a": 1,}"#, "[1, 2 , ]", #"{"a": [1,]}"#,
        ]
        for text in invalid {
            #expect(throws: JSONParser.Error.self, "\(text)") { try parse(text) }
        }
    }

    /// Strings are UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not replaced with U+FFFD.
    @Test func refusesInvalidUTF8() {
        for bytes: [UInt8] in [[0x5B, 0x22, 0xFF, 0x22, 0x5D], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               [0x22, 0x5C, 0x6E, 0xFF, 0x22]] {
            #expect(throws: JSONParser.Error.syntax("invalid UTF-8 in string", offset: bytes[0] == 0x5B ? 2 : 1), "\(bytes)") {
                try JSONParser.parse(bytes)
            }
        }
    }

    /// A number `Double` cannot hold is refused: JSON has no infinity to write it back as.
    @Test func refusesNumbersOutOfRange() throws {
        #expect(throws: JSONParser.Error.syntax("number out of range", offset: 1)) { try parse("[1e400]") }
        #expect(throws: JSONParser.Error.self) { try parse("-1e99999") }
        #expect(try parse("1.7976931348623157e308") == .number(.greatestFiniteMagnitude))
        #expect(try parse("1e-400") == .number(0))
    }

    /// Integers of any length keep the value `Double` gives their text, as `JSONSerialization`
    /// gave it, and stay integers while they fit 64 bits.
    @Test func largeIntegers() throws {
        #expect(try parse("123456789012345678") == .integer(123_456_789_012_345_678))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("12345678901234567890") == .unsignedInteger(12_345_678_901_234_567_890))
        #expect(try parse("123456789012345678901234").double == Double("123456789012345678901234"))
    }

    /// The digit-summing fast path gives the correctly rounded `Double` of the text, the
    /// standard library's, for every number a tensor body holds and for the edges of the path.
    @Test func decimalsAreCorrectlyRounded() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var texts = ["0.1", "0.2", "0.3", "-0.0", "9007199254740993.0", "9007199254740992e0", "1e22", "1e23", "4.35e-22",
                     "0.000000000000000000001", "123456789.123456789", "1.0000000000000002", "8.98846567431158e307"]
        for _ in 0..<2000 {
            let digits = String(next() % 10_000_000_000_000_000)
            let point = Int(next() % UInt64(digits.count + 1))
            let exponent = Int(next() % 61) - 30
            texts.append("0." + digits)
            let whole = point == 0 ? "0" : String(digits.prefix(point))
            let fraction = digits.dropFirst(point).isEmpty ? "0" : String(digits.dropFirst(point))
            texts.append(whole + "." + fraction + "e\(exponent)")
        }
        for text in texts {
            let value = try #require(try parse(text).double, "\(text)")
            #expect(value.bitPattern == Double(text)!.bitPattern, "\(text)")
        }
    }

    /// Nesting past the limit is an error, not a stack overflow; at the limit it parses.
    @Test func depthIsCapped() throws {
        let limit = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try parse(deepest).array != nil)
        #expect(throws: JSONParser.Error.tooDeep(limit: limit)) { try parse(String(repeating: "[", count: 100_000)) }
    }

    /// A slice parses as itself (KServe's JSON header is a prefix of the body).
    @Test func parsesASlice() throws {
        let body = Array(#"{"a": [1]}BINARY"#.utf8)
        #expect(try JSONParser.parse(body[0..<10]) == .object(["a": .array([.integer(1)])]))
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(body[0..<11]) }
    }

    /// The accessors the request decoders read with: one kind each, and `int` only for a
    /// number written as an integer.
    @Test func accessors() throws {
        let value = try parse(#"{"s": "x", "i": 28, "d": 28.0, "e": 1e1, "b": true, "l": [1], "big": 18446744073709551615}"#)
        #expect(value["s"]?.string == "x" && value["i"]?.string == nil)
        #expect(value["i"]?.int == 28 && value["d"]?.int == nil && value["e"]?.int == nil && value["big"]?.int == nil)
        #expect(value["i"]?.double == 28 && value["d"]?.double == 28 && value["e"]?.double == 10)
        #expect(value["big"]?.double == 18446744073709551615.0 && value["s"]?.double == nil)
        #expect(value["b"]?.bool == true && value["i"]?.bool == nil)
        #expect(value["l"]?.array == [.integer(1)] && value["l"]?.object == nil)
        #expect(value["missing"] == nil && value["l"]?["s"] == nil)
        #expect(value.object?.count == 7)
    }
}
