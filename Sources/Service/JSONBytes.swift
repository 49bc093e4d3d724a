import JSON

/// Appends JSON tokens to a byte buffer without going through `String`: the `/predict`
/// answer is written on the request path, where string interpolation (a growing string per
/// piece, then its UTF-8 copied out) cost 20 k instructions per answer, most of it around the
/// eleven `Float` renderings rather than in them.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends `text` as it is (punctuation and keys, already valid JSON).
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` in decimal, as `"\(value)"` writes it.
    mutating func append(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends `value` exactly as `"\(value)"` writes it: `Float.description` is the same
    /// shortest round-trip rendering string interpolation uses, here without the interpolation.
    mutating func append(_ value: Float) {
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Appends `text` as a quoted JSON string, escaped by the one escaper (`JSONText`).
    mutating func appendQuoted(_ text: String) {
        JSONText.appendQuoted(text, to: &bytes)
    }
}
