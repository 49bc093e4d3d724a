import Testing
import ModelFile

/// A valid entry for an F32 [2] tensor at `offsets`.
private func entry(_ name: String, _ begin: Int, _ end: Int, dtype: String = "F32", shape: String = "[2]") -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

private let eight = [UInt8](repeating: 1, count: 8)
private let path = "m.safetensors"

/// One named test per way a header can lie; each asserts the exact error.
@Suite struct SafeTensorsMalformedTests {
    @Test func tooShortForLength() {
        #expect(decodeError([1, 2, 3]) == .fileTooShort(path: path, size: 3))
        #expect(decodeError([]) == .fileTooShort(path: path, size: 0))
    }

    /// A header length over 100 MB is refused before anything is read (even if the file were that big).
    @Test func headerOverLimit() {
        #expect(decodeError(lengthPrefix(100_000_008) + [0x7B]) ==
                .headerTooLarge(path: path, length: 100_000_008, limit: 100_000_000))
        #expect(decodeError(lengthPrefix(.max)) == .headerTooLarge(path: path, length: .max, limit: 100_000_000))
    }

    @Test func headerPastEndOfFile() {
        #expect(decodeError(lengthPrefix(16) + Array("{}".utf8)) == .headerBeyondFile(path: path, length: 16, available: 2))
    }

    @Test func headerNotUTF8() {
        #expect(decodeError(lengthPrefix(4) + [0x7B, 0xFF, 0xFE, 0x7D]) == .headerNotUTF8(path: path))
    }

    @Test(arguments: ["{", "{\"a\":}", "{\"a\" 1}", "nul", "{} x", "{\"a\":\"\u{1}\"}", "{\"a\":01}", "{\"a\":\"\\ud800\"}", ""])
    func headerNotJSON(header: String) {
        guard case .headerNotJSON(path, _)? = decodeError(lengthPrefix(UInt64(header.utf8.count)) + Array(header.utf8)) else {
            Issue.record("expected headerNotJSON for \(header)")
            return
        }
    }

    /// Deep nesting is an error, not a stack overflow.
    @Test func deeplyNestedHeader() {
        let header = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        guard case .headerNotJSON? = decodeError(safetensorsBytes(header: header, data: [])) else {
            Issue.record("expected headerNotJSON")
            return
        }
    }

    @Test(arguments: ["[]", "\"x\"", "3", "null"])
    func headerNotObject(header: String) {
        #expect(decodeError(safetensorsBytes(header: header, data: [])) == .headerNotObject(path: path))
    }

    @Test func duplicateTensorName() {
        let header = "{" + entry("w", 0, 8) + "," + entry("w", 8, 16) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight + eight)) == .duplicateKey(path: path, key: "w"))
    }

    @Test func duplicateFieldInEntry() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .duplicateKey(path: path, key: "dtype"))
    }

    @Test func entryNotObject() {
        #expect(decodeError(safetensorsBytes(header: "{\"w\":[1]}", data: [])) == .invalidEntry(path: path, tensor: "w"))
    }

    @Test(arguments: ["dtype", "shape", "data_offsets"])
    func missingField(field: String) {
        let fields = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"].filter { !$0.hasPrefix("\"\(field)\"") }
        let header = "{\"w\":{" + fields.joined(separator: ",") + "}}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .missingField(path: path, tensor: "w", field: field))
    }

    @Test func unknownDType() {
        let header = "{" + entry("w", 0, 8, dtype: "F128") + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .unknownDType(path: path, tensor: "w", dtype: "\"F128\""))
    }

    @Test(arguments: ["[-2]", "[2.0]", "[1e1]", "[\"2\"]", "2", "[99999999999999999999]"])
    func invalidShape(shape: String) {
        let header = "{" + entry("w", 0, 8, shape: shape) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .invalidShape(path: path, tensor: "w"))
    }

    /// Sizes whose product overflows Int are refused, not wrapped.
    @Test func shapeOverflow() {
        let big = Int.max / 2
        let header = "{" + entry("w", 0, 8, shape: "[\(big),\(big)]") + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) ==
                .shapeOverflow(path: path, tensor: "w", shape: [big, big]))
    }

    @Test(arguments: ["[0]", "[0,8,9]", "[-1,7]", "[0,8.5]", "{}", "[0,\"8\"]"])
    func invalidOffsets(offsets: String) {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(offsets)}}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .invalidOffsets(path: path, tensor: "w"))
    }

    @Test func beginAfterEnd() {
        let header = "{" + entry("w", 8, 0) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .offsetsReversed(path: path, tensor: "w", begin: 8, end: 0))
    }

    @Test func offsetsPastBuffer() {
        let header = "{" + entry("w", 0, 8) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: [1, 2, 3])) ==
                .offsetsOutOfBounds(path: path, tensor: "w", end: 8, bufferSize: 3))
    }

    @Test func byteLengthDisagreesWithShape() {
        let header = "{" + entry("w", 0, 12) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight + [1, 2, 3, 4])) ==
                .sizeMismatch(path: path, tensor: "w", expected: 8, actual: 12))
    }

    @Test func overlappingTensors() {
        let header = "{" + entry("a", 0, 8) + "," + entry("b", 4, 12) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight + [0, 0, 0, 0])) ==
                .overlappingTensors(path: path, first: "a", second: "b"))
    }

    /// An empty tensor placed inside another one's bytes is an overlap too.
    @Test func emptyTensorInsideAnother() {
        let header = "{" + entry("a", 0, 8) + "," + entry("e", 4, 4, shape: "[0]") + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight)) == .overlappingTensors(path: path, first: "a", second: "e"))
    }

    @Test func gapBetweenTensors() {
        let header = "{" + entry("a", 0, 8) + "," + entry("b", 12, 20) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight + [0, 0, 0, 0] + eight)) ==
                .uncoveredBytes(path: path, begin: 8, end: 12))
    }

    @Test func trailingBytesAfterTensors() {
        let header = "{" + entry("a", 0, 8) + "}"
        #expect(decodeError(safetensorsBytes(header: header, data: eight + [9])) == .uncoveredBytes(path: path, begin: 8, end: 9))
    }

    @Test func metadataValueNotString() {
        let header = "{\"__metadata__\":{\"epochs\":10}}"
        #expect(decodeError(safetensorsBytes(header: header, data: [])) == .invalidMetadata(path: path, key: "epochs"))
    }

    @Test func metadataNotObject() {
        let header = "{\"__metadata__\":[\"x\"]}"
        #expect(decodeError(safetensorsBytes(header: header, data: [])) == .invalidMetadata(path: path, key: nil))
    }

    /// Reading a file that does not exist names it with the errno text.
    @Test func missingFile() {
        #expect(throws: SafeTensorsError.readFailed(path: "/nonexistent/m.safetensors", reason: "No such file or directory")) {
            try SafeTensorsFile.read(path: "/nonexistent/m.safetensors")
        }
    }

    /// Every error's description starts with the file's name.
    @Test func descriptionsNameTheFile() {
        let header = "{" + entry("w", 0, 8) + "}"
        let error = decodeError(safetensorsBytes(header: header, data: [1]), path: "models/x.safetensors")
        #expect(error?.description.hasPrefix("models/x.safetensors: tensor \"w\"") == true)
    }
}
