/// Byte classes from RFC 9110 and RFC 9112, as lookup tables so the parser's hot loops
/// do one load per byte instead of a chain of comparisons.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let percent: UInt8 = 0x25
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F

    /// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    /// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
    static let isTokenChar: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte))
        }
    }

    /// RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside a value.
    static let isFieldValueChar: [Bool] = (0..<256).map { byte in
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Bytes allowed in a request-target: visible ASCII (RFC 3986 characters, leniently).
    static let isTargetChar: [Bool] = (0..<256).map { byte in
        byte > 0x20 && byte < 0x7F
    }

    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool { isTokenChar[Int(byte)] }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }

    /// Whether `bytes` equals the lowercase ASCII `lowercaseName`, ignoring case.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercaseName: StaticString) -> Bool {
        guard bytes.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        for index in 0..<bytes.count where lowercased(bytes[index]) != name[index] {
            return false
        }
        return true
    }
}
