import Testing
import ModelFile
import TestSupport

@Suite struct SafeTensorsRoundTripTests {
    /// Every dtype, shape (0-d, empty, 4-d) and the metadata survive encode/decode, in order.
    @Test func roundTripsInMemory() throws {
        let file = sampleFile()
        let decoded = try SafeTensorsFile.decode(file.encode())
        #expect(decoded == file)
        #expect(decoded.names == ["0.weight", "0.bias", "scalar", "empty", "steps", "bytes", "halves", "doubles"])
        #expect(try decoded["scalar"]?.floats == [3.25])
        #expect(decoded["empty"]?.elementCount == 0)
    }

    /// A file written to disk reads back equal, and re-encoding it gives the same bytes.
    @Test func roundTripsOnDisk() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.safetensors")
        try sampleFile().write(path: path)
        let read = try SafeTensorsFile.read(path: path)
        #expect(read == sampleFile())
        let onDisk = try SafeTensorsFile.decode(read.encode())
        #expect(read.encode() == sampleFile().encode() && onDisk == read)
    }

    /// The header is padded with spaces to a multiple of 8 and offsets are consecutive.
    @Test func headerIsPaddedAndContiguous() throws {
        let bytes = sampleFile().encode()
        let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(length % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\":{\"architecture\":"))
        #expect(header.contains("\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,2,2],\"data_offsets\":[0,32]}"))
        #expect(header.contains("\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}"))
        #expect(header.contains("\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[40,44]}"))
        #expect(header.contains("\\t") && header.contains("\\u0001"))
        #expect(bytes.count == 8 + length + 32 + 8 + 4 + 0 + 8 + 3 + 4 + 8)
    }

    /// Floats are stored little-endian (1.0 is 00 00 80 3F).
    @Test func floatsAreLittleEndian() {
        let tensor = SafeTensors.Tensor(shape: [1], floats: [1])
        #expect(tensor.data == [0x00, 0x00, 0x80, 0x3F])
    }

    /// The typed accessor refuses other dtypes instead of reinterpreting bytes.
    @Test func floatsRefuseOtherDTypes() {
        let tensor = SafeTensors.Tensor(dtype: .I32, shape: [1], data: [1, 0, 0, 0])
        #expect(throws: SafeTensorsError.wrongDType(expected: .F32, found: .I32)) { try tensor.floats }
    }

    /// Replacing keeps a tensor's place; removing drops it; new names go last.
    @Test func subscriptKeepsOrder() {
        var file = sampleFile()
        file["0.bias"] = .init(shape: [1], floats: [9])
        file["scalar"] = nil
        file["z"] = .init(shape: [], floats: [1])
        #expect(file.names == ["0.weight", "0.bias", "empty", "steps", "bytes", "halves", "doubles", "z"])
        #expect(file.tensors.count == 8)
    }

    /// An empty file (no tensors, no metadata) is valid: `{}` padded, no data.
    @Test func emptyFileRoundTrips() throws {
        let bytes = SafeTensorsFile().encode()
        #expect(bytes == lengthPrefix(8) + Array("{}      ".utf8))
        #expect(try SafeTensorsFile.decode(bytes) == SafeTensorsFile())
    }
}
