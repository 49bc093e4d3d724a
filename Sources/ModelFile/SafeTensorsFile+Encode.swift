extension SafeTensorsFile {
    /// The file's bytes: header length, header, data.
    ///
    /// The header is compact JSON in the layout the reference (Rust/Python) writer uses:
    /// `__metadata__` first (keys sorted here, so output is deterministic), then the tensors
    /// in `names` order with consecutive offsets, padded with spaces to a multiple of 8 bytes
    /// so the data starts aligned.
    public func encode() -> [UInt8] {
        var header = [UInt8]()
        header.append(UInt8(ascii: "{"))
        var first = true
        func separator() {
            if !first { header.append(UInt8(ascii: ",")) }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            appendJSONString(SafeTensors.metadataKey, to: &header)
            header.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            separator()
            appendJSONString(name, to: &header)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let entry = ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.data.count)]}"
            header.append(contentsOf: Array(entry.utf8))
            offset += tensor.data.count
        }
        header.append(UInt8(ascii: "}"))
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        bytes.append(contentsOf: header)
        for name in names { bytes.append(contentsOf: tensors[name]!.data) }
        return bytes
    }

    /// Appends `text` as a JSON string the way serde_json does: `"` and `\` escaped, the
    /// usual short escapes for control characters, `\u00XX` for the rest, UTF-8 otherwise.
    private func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
