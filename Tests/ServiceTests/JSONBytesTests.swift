import Testing
@testable import Service

/// `/predict`'s answer is written as bytes without string interpolation; its numbers must be
/// the very characters interpolation writes, which clients and the other tests compare.
struct JSONBytesTests {
    /// Integers across the range, signs and digit counts.
    @Test(arguments: [0, 7, 9, 10, 255, 1_000_000, -1, -42, Int.max, Int.min])
    func integersRenderAsInterpolated(value: Int) {
        var bytes = JSONBytes(capacity: 0)
        bytes.append(value)
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == "\(value)")
    }

    /// Floats a softmax gives (tiny, near one, exactly one, zero) and the awkward ones.
    @Test(arguments: [0, 1, 0.5, 0.999_999_94, Float.leastNonzeroMagnitude, 1.175_494_4e-38, 3.402_823_5e38, 0.1, 2.802_597e-45, -0.0,
                      Float.infinity, 0.012_345_678] as [Float])
    func floatsRenderAsInterpolated(value: Float) {
        var bytes = JSONBytes(capacity: 0)
        bytes.append(value)
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == "\(value)")
    }

    /// Literal text and quoted strings (escaped as `JSONText` escapes them) go in as given.
    @Test func textAndQuotedStrings() {
        var bytes = JSONBytes(capacity: 8)
        bytes.append("{\"model\":")
        bytes.appendQuoted("a\"b\n")
        bytes.append("}")
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == "{\"model\":\"a\\\"b\\n\"}")
    }
}
