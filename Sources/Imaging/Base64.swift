/// Base64 (RFC 4648) as clients actually send it: the standard alphabet (`+/`), the URL-safe
/// one (`-_`), or a mix; padding optional; whitespace (space, tab, CR, LF) anywhere, as in
/// MIME's 76-column lines or pretty-printed JSON.
///
/// Non-zero bits left over in the last character are ignored (lenient, as RFC 4648 §3.5
/// permits): some encoders leave them set, and rejecting them would help no user.
/// Padding, when present, must be correct: it may only end the text and must complete the
/// last group of four.
public enum Base64 {
    private static let invalid: UInt8 = 0xFF
    private static let whitespace: UInt8 = 0xFE
    private static let padding: UInt8 = 0xFD

    /// Byte → sextet value, or one of the markers above.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        table[Int(UInt8(ascii: "_"))] = 63
        table[Int(UInt8(ascii: "="))] = padding
        for character in [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")] {
            table[Int(character)] = whitespace
        }
        return table
    }()

    /// Decodes base64 text in either alphabet.
    ///
    /// - Throws: `ImageError` (`.malformed`) naming the first invalid character and its offset,
    ///   an impossible length (one character left over), or misplaced or wrong padding.
    public static func decode<Text: Collection>(_ text: Text) throws -> [UInt8] where Text.Element == UInt8 {
        if let result = try text.withContiguousStorageIfAvailable({ try decode(buffer: $0) }) { return result }
        return try Array(text).withUnsafeBufferPointer { try decode(buffer: $0) }
    }

    /// Decodes base64 held in a `String`.
    public static func decode(_ text: String) throws -> [UInt8] {
        var text = text
        return try text.withUTF8 { try decode(buffer: $0) }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(buffer.count / 4 * 3 + 3)
        var group: UInt32 = 0
        var sextets = 0
        var dataCharacters = 0
        var paddingCharacters = 0
        try decodeTable.withUnsafeBufferPointer { table in
            for (offset, character) in buffer.enumerated() {
                let value = table[Int(character)]
                if value < 64 {
                    guard paddingCharacters == 0 else {
                        throw ImageError.malformed("base64 has data after its '=' padding, at offset \(offset)")
                    }
                    group = group << 6 | UInt32(value)
                    sextets += 1
                    dataCharacters += 1
                    if sextets == 4 {
                        output.append(UInt8(truncatingIfNeeded: group >> 16))
                        output.append(UInt8(truncatingIfNeeded: group >> 8))
                        output.append(UInt8(truncatingIfNeeded: group))
                        group = 0
                        sextets = 0
                    }
                } else if value == padding {
                    paddingCharacters += 1
                } else if value == invalid {
                    throw ImageError.malformed("base64 has an invalid character \(describe(character)) at offset \(offset)")
                }
            }
        }
        switch sextets {
        case 1:
            throw ImageError.malformed("base64 length is impossible: \(dataCharacters) characters leave one over (1 mod 4)")
        case 2:
            output.append(UInt8(truncatingIfNeeded: group >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: group >> 10))
            output.append(UInt8(truncatingIfNeeded: group >> 2))
        default:
            break
        }
        if paddingCharacters > 0 && (paddingCharacters > 2 || (dataCharacters + paddingCharacters) % 4 != 0) {
            throw ImageError.malformed("base64 padding is wrong: \(paddingCharacters) '=' after \(dataCharacters) characters")
        }
        return output
    }

    private static func describe(_ character: UInt8) -> String {
        (0x21...0x7E).contains(character) ? "'\(Character(Unicode.Scalar(character)))'" : "0x" + String(character, radix: 16, uppercase: true)
    }
}
