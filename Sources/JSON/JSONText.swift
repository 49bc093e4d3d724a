/// JSON string escaping (RFC 8259 §7), the one escaper every JSON writer of the package uses:
/// problem details, the hand-written responses of the hot paths, and safetensors headers.
///
/// `"` and `\` are escaped, and every control character below U+0020 (which RFC 8259 forbids
/// raw in a string): the seven that have a short escape get it (`\b`, `\t`, `\n`, `\f`, `\r`,
/// the way serde_json and Python's `json` write them), the rest `\u00XX`. Everything else,
/// including `/` and non-ASCII, is written as its UTF-8.
public enum JSONText {
    /// Appends `string` as a quoted JSON string.
    public static func appendQuoted(_ string: String, to output: inout String) {
        // Most strings (model ids, titles) need no escape: append them whole.
        guard string.utf8.contains(where: needsEscape) else {
            output += "\""
            output += string
            output += "\""
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count + 8)
        appendQuoted(string, to: &bytes)
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `string` as a quoted JSON string, in UTF-8.
    public static func appendQuoted(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            guard needsEscape(byte) else {
                output.append(byte)
                continue
            }
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
            case 0x08: output.append(UInt8(ascii: "b"))
            case 0x09: output.append(UInt8(ascii: "t"))
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0C: output.append(UInt8(ascii: "f"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            default:
                output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Whether a UTF-8 byte of a string must be escaped. Bytes of multi-byte sequences are all
    /// 0x80 and above, so a byte-wise look never splits a character.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
