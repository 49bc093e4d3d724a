import JSON

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
            JSONText.appendQuoted(SafeTensors.metadataKey, to: &header)
            header.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(key, to: &header)
                header.append(UInt8(ascii: ":"))
                JSONText.appendQuoted(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            separator()
            JSONText.appendQuoted(name, to: &header)
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
}
