/// Decoded base64 and the media type a data URL declared for it.
public struct Base64Payload: Equatable, Sendable {
    /// The data URL's media type, lowercased, without parameters (`image/png`); nil for plain
    /// base64 or a data URL that names none.
    public var mediaType: String?
    public var bytes: [UInt8]

    public init(mediaType: String?, bytes: [UInt8]) {
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

extension Base64 {
    /// Decodes plain base64 or an RFC 2397 data URL, `data:<mediatype>[;param]*;base64,<payload>`
    /// (what a browser canvas's `toDataURL()` gives). Leading and trailing whitespace is ignored;
    /// `data:` and `;base64` match in any case.
    ///
    /// - Throws: `ImageError`: `.unsupported` for a data URL that is not base64-encoded
    ///   (percent-encoding), `.malformed` for a data URL without a comma or bad base64.
    public static func decodePayload<Text: Collection>(_ text: Text) throws -> Base64Payload where Text.Element == UInt8 {
        let bytes = Array(text)
        var start = 0
        while start < bytes.count && isSpace(bytes[start]) { start += 1 }
        let scheme = Array("data:".utf8)
        guard bytes.count - start >= scheme.count,
              zip(bytes[start..<(start + scheme.count)], scheme).allSatisfy({ lowercase($0) == $1 }) else {
            return Base64Payload(mediaType: nil, bytes: try decode(bytes[start...]))
        }
        let headerStart = start + scheme.count
        guard let comma = bytes[headerStart...].firstIndex(of: UInt8(ascii: ",")) else {
            throw ImageError.malformed("data URL has no ',' before its payload")
        }
        let parameters = bytes[headerStart..<comma].split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
            .map { String(Substring(String(decoding: $0.map(lowercase), as: UTF8.self)).trimmingWhitespace()) }
        guard parameters.count > 1, parameters.last == "base64" else {
            throw ImageError.unsupported("data URL is not base64-encoded (no ';base64' before the comma)")
        }
        let mediaType = parameters[0].contains("/") ? parameters[0] : nil
        return Base64Payload(mediaType: mediaType, bytes: try decode(bytes[(comma + 1)...]))
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
