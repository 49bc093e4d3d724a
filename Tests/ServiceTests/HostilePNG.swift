/// Builds broken and hostile PNG files chunk by chunk: valid CRCs around corrupt contents,
/// IHDRs that claim huge rasters, and IDATs that inflate far beyond what IHDR promises.
enum HostilePNG {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    struct Chunk {
        var type: String
        var data: [UInt8]
    }

    /// The chunks of a well-formed PNG (no validation: the input comes from `PNGEncoder`).
    static func chunks(of png: [UInt8]) -> [Chunk] {
        var chunks: [Chunk] = []
        var offset = signature.count
        while offset + 12 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            chunks.append(Chunk(type: type, data: Array(png[(offset + 8)..<(offset + 8 + length)])))
            offset += 12 + length
        }
        return chunks
    }

    /// A PNG file of `chunks`, each with its correct CRC.
    static func file(_ chunks: [Chunk]) -> [UInt8] {
        var output = signature
        for chunk in chunks {
            output += bigEndian(UInt32(chunk.data.count))
            let typeAndData = Array(chunk.type.utf8) + chunk.data
            output += typeAndData
            output += bigEndian(crc32(typeAndData))
        }
        return output
    }

    /// The bomb of issue 11: a PNG of about 13 KB that declares 4096x4096 1-bit gray pixels,
    /// its IDAT exactly the 2,101,248 zero bytes (all black) those rows need. It is valid, so
    /// only its declared size can refuse it.
    static let declaredBomb: [UInt8] = file([
        header(width: 4096, height: 4096, bitDepth: 1, colorType: 0),
        Chunk(type: "IDAT", data: zlibOfZeros(count: 4096 * (1 + 4096 / 8))),
        Chunk(type: "IEND", data: []),
    ])

    /// An IHDR chunk (no interlace).
    static func header(width: UInt32, height: UInt32, bitDepth: UInt8, colorType: UInt8) -> Chunk {
        Chunk(type: "IHDR", data: bigEndian(width) + bigEndian(height) + [bitDepth, colorType, 0, 0, 0])
    }

    /// A zlib stream that inflates to `count` zero bytes from about count / 160 bytes: one
    /// fixed-Huffman block (RFC 1951 §3.2.6) of a literal 0 followed by length-258,
    /// distance-1 matches and literal zeros for the remainder, then the Adler-32 of the zeros
    /// (RFC 1950).
    static func zlibOfZeros(count: Int) -> [UInt8] {
        precondition(count >= 1, "count must be at least 1")
        var bits = BitWriter()
        bits.append(1, count: 1)             // BFINAL
        bits.append(1, count: 2)             // BTYPE = 01, fixed Huffman
        bits.appendCode(0x30, length: 8)     // literal 0
        for _ in 0..<((count - 1) / 258) {
            bits.appendCode(0xC5, length: 8) // length code 285: 258 bytes, no extra bits
            bits.appendCode(0, length: 5)    // distance code 0: distance 1
        }
        for _ in 0..<((count - 1) % 258) {
            bits.appendCode(0x30, length: 8) // literal 0
        }
        bits.appendCode(0, length: 7)        // end of block (256)
        // Adler-32 of zeros: a stays 1, b adds a once per byte.
        let adler = UInt32(count % 65521) << 16 | 1
        return [0x78, 0x01] + bits.bytes + bigEndian(adler)
    }

    /// DEFLATE's bit order: values least significant bit first, Huffman codes most
    /// significant bit first.
    struct BitWriter {
        var bytes: [UInt8] = []
        private var used = 8

        mutating func append(_ value: UInt32, count: Int) {
            for bit in 0..<count { appendBit((value >> UInt32(bit)) & 1) }
        }

        mutating func appendCode(_ code: UInt32, length: Int) {
            for bit in stride(from: length - 1, through: 0, by: -1) { appendBit((code >> UInt32(bit)) & 1) }
        }

        private mutating func appendBit(_ bit: UInt32) {
            if used == 8 {
                bytes.append(0)
                used = 0
            }
            bytes[bytes.count - 1] |= UInt8(bit) << UInt8(used)
            used += 1
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value)]
    }

    /// CRC-32 (ISO 3309, the PNG chunk CRC), bit by bit: the test does not lean on the zlib
    /// the decoder under test uses.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
