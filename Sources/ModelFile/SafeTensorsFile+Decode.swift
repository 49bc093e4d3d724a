import JSON

extension SafeTensorsFile {
    /// Parses and validates a whole safetensors file.
    ///
    /// Everything is checked before a tensor is trusted: the header length against the file
    /// and the 100 MB limit; the header as UTF-8 JSON object without duplicate keys; each entry's
    /// dtype, shape and offsets; that each tensor's bytes are exactly `product(shape) * size`;
    /// and that the tensors tile the data buffer exactly, with no overlap, gap or trailing bytes.
    ///
    /// - Parameter path: names the file in errors.
    /// - Throws: `SafeTensorsError`.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> SafeTensorsFile {
        let header = try decodeHeader(bytes, fileSize: bytes.count, path: path)
        var file = SafeTensorsFile()
        file.metadata = header.metadata
        for entry in header.entries {
            let data = Array(bytes[header.end + entry.begin ..< header.end + entry.end])
            file[entry.name] = SafeTensors.Tensor(dtype: entry.dtype, shape: entry.shape, data: data)
        }
        return file
    }

    /// The length the header declares, from the file's first 8 bytes, checked against the
    /// file's size and the header limit.
    static func headerLength(_ prefix: [UInt8], fileSize: Int, path: String) throws -> Int {
        guard fileSize >= 8, prefix.count >= 8 else { throw SafeTensorsError.fileTooShort(path: path, size: fileSize) }
        let headerLength = prefix[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(SafeTensors.maximumHeaderLength) else {
            throw SafeTensorsError.headerTooLarge(path: path, length: headerLength, limit: SafeTensors.maximumHeaderLength)
        }
        guard headerLength <= UInt64(fileSize - 8) else {
            throw SafeTensorsError.headerBeyondFile(path: path, length: headerLength, available: fileSize - 8)
        }
        return Int(headerLength)
    }

    /// Parses and validates the header that `prefix` (the file's first bytes, at least the
    /// header) holds, against a file of `fileSize` bytes: everything `decode` checks but the
    /// tensors' bytes themselves.
    static func decodeHeader(_ prefix: [UInt8], fileSize: Int, path: String) throws -> (end: Int, metadata: [String: String], entries: [Entry]) {
        let headerEnd = 8 + (try headerLength(prefix, fileSize: fileSize, path: path))
        guard prefix.count >= headerEnd else { throw SafeTensorsError.fileTooShort(path: path, size: prefix.count) }
        let header = Array(prefix[8..<headerEnd])
        guard isValidUTF8(header) else { throw SafeTensorsError.headerNotUTF8(path: path) }

        let parsed: [(key: String, value: JSONDocument)]?
        do {
            parsed = try JSONParser.parseMembersInOrder(header)
        } catch JSONParser.Error.duplicateKey(let key) {
            throw SafeTensorsError.duplicateKey(path: path, key: key)
        } catch JSONParser.Error.syntax(let message, let offset) {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "\(message) at header byte \(offset)")
        } catch JSONParser.Error.tooDeep(let limit) {
            throw SafeTensorsError.headerNotJSON(path: path, reason: "nested more than \(limit) levels deep")
        }
        guard let members = parsed else { throw SafeTensorsError.headerNotObject(path: path) }

        let bufferSize = fileSize - headerEnd
        var metadata: [String: String] = [:]
        var entries = [Entry]()
        for member in members {
            if member.key == SafeTensors.metadataKey {
                metadata = try decodeMetadata(member.value, path: path)
            } else {
                entries.append(try decodeEntry(name: member.key, member.value, bufferSize: bufferSize, path: path))
            }
        }
        try checkTiling(entries, bufferSize: bufferSize, path: path)
        return (headerEnd, metadata, entries)
    }

    /// One validated header entry: where a tensor's bytes are and what they mean.
    struct Entry {
        var name: String
        var dtype: SafeTensors.DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    private static func decodeMetadata(_ value: JSONDocument, path: String) throws -> [String: String] {
        guard case .object(let members) = value else { throw SafeTensorsError.invalidMetadata(path: path, key: nil) }
        var metadata = [String: String]()
        // Sorted, so the key named in an error does not depend on hashing.
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard case .string(let text) = value else {
                throw SafeTensorsError.invalidMetadata(path: path, key: key)
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func decodeEntry(name: String, _ value: JSONDocument, bufferSize: Int, path: String) throws -> Entry {
        guard case .object(let fields) = value else { throw SafeTensorsError.invalidEntry(path: path, tensor: name) }
        func field(_ key: String) throws -> JSONDocument {
            guard let found = fields[key] else {
                throw SafeTensorsError.missingField(path: path, tensor: name, field: key)
            }
            return found
        }
        let dtypeValue = try field("dtype")
        let shapeValue = try field("shape")
        let offsetsValue = try field("data_offsets")

        guard case .string(let dtypeName) = dtypeValue, let dtype = SafeTensors.DType(rawValue: dtypeName) else {
            let shown: String
            if case .string(let text) = dtypeValue { shown = "\"\(text)\"" } else { shown = dtypeValue.kind }
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: shown)
        }
        guard case .array(let sizes) = shapeValue else { throw SafeTensorsError.invalidShape(path: path, tensor: name) }
        var shape = [Int]()
        for size in sizes {
            guard let integer = integerLiteral(size), integer >= 0 else { throw SafeTensorsError.invalidShape(path: path, tensor: name) }
            shape.append(integer)
        }
        guard let expectedBytes = SafeTensors.Tensor.byteCount(dtype: dtype, shape: shape) else {
            throw SafeTensorsError.shapeOverflow(path: path, tensor: name, shape: shape)
        }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = integerLiteral(offsets[0]), let end = integerLiteral(offsets[1]), begin >= 0, end >= 0 else {
            throw SafeTensorsError.invalidOffsets(path: path, tensor: name)
        }
        guard begin <= end else { throw SafeTensorsError.offsetsReversed(path: path, tensor: name, begin: begin, end: end) }
        guard end <= bufferSize else {
            throw SafeTensorsError.offsetsOutOfBounds(path: path, tensor: name, end: end, bufferSize: bufferSize)
        }
        guard end - begin == expectedBytes else {
            throw SafeTensorsError.sizeMismatch(path: path, tensor: name, expected: expectedBytes, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The value as an `Int` when it was written as a plain integer (no fraction or exponent)
    /// that fits; nil otherwise, so `2.0` or `1e3` is refused where a count or offset belongs.
    private static func integerLiteral(_ value: JSONDocument) -> Int? {
        guard case .integer(let integer) = value else { return nil }
        return Int(exactly: integer)
    }

    /// The tensors, in offset order, must cover `0..<bufferSize` exactly once.
    private static func checkTiling(_ entries: [Entry], bufferSize: Int, path: String) throws {
        let ordered = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: Entry?
        for entry in ordered {
            if entry.begin < covered, let previous {
                throw SafeTensorsError.overlappingTensors(path: path, first: previous.name, second: entry.name)
            }
            if entry.begin > covered { throw SafeTensorsError.uncoveredBytes(path: path, begin: covered, end: entry.begin) }
            covered = entry.end
            previous = entry
        }
        if covered != bufferSize { throw SafeTensorsError.uncoveredBytes(path: path, begin: covered, end: bufferSize) }
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
