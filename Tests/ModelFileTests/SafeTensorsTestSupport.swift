import ModelFile

/// A safetensors file assembled by hand: `header` as written (padded with spaces to 8), then `data`.
func safetensorsBytes(header: String, data: [UInt8]) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
    return lengthPrefix(UInt64(headerBytes.count)) + headerBytes + data
}

/// The 8-byte little-endian header length.
func lengthPrefix(_ length: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
}

/// The error `decode` throws for `bytes`, or nil if it succeeds.
func decodeError(_ bytes: [UInt8], path: String = "m.safetensors") -> SafeTensorsError? {
    do {
        _ = try SafeTensorsFile.decode(bytes, path: path)
        return nil
    } catch {
        return error as? SafeTensorsError
    }
}

/// A small file with several dtypes and shapes, in PyTorch state_dict order.
func sampleFile() -> SafeTensorsFile {
    SafeTensorsFile([
        ("0.weight", .init(shape: [2, 1, 2, 2], floats: [1, -2, 3.5, 0, -0.0, .infinity, 1e-30, 7])),
        ("0.bias", .init(shape: [2], floats: [0.25, -0.5])),
        ("scalar", .init(shape: [], floats: [3.25])),
        ("empty", .init(dtype: .F32, shape: [0, 3], data: [])),
        ("steps", .init(dtype: .I64, shape: [1], data: [42, 0, 0, 0, 0, 0, 0, 0])),
        ("bytes", .init(dtype: .U8, shape: [3, 1], data: [0, 128, 255])),
        ("halves", .init(dtype: .F16, shape: [2], data: [0x00, 0x3C, 0x00, 0xC0])),
        ("doubles", .init(dtype: .F64, shape: [1], data: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])),
    ], metadata: ["architecture": "[{\"type\": \"conv2d\"}]", "note": "tab\there, é, \u{1}"])
}
