/// One sample in PNG's packed row layout: below 8 bits, samples are packed most significant
/// bits first; 16-bit samples are big-endian.
enum PackedSamples {
    /// Sample `index` of `row`.
    @inline(__always)
    static func get(_ row: UnsafePointer<UInt8>, _ index: Int, bitDepth: Int) -> UInt16 {
        switch bitDepth {
        case 8: return UInt16(row[index])
        case 16: return UInt16(row[2 * index]) << 8 | UInt16(row[2 * index + 1])
        default:
            let bit = index * bitDepth
            return UInt16(row[bit / 8] >> UInt8(8 - bitDepth - bit % 8)) & UInt16((1 << bitDepth) - 1)
        }
    }

    /// Overwrites sample `index` of `row` with `value`, which must fit in `bitDepth` bits.
    @inline(__always)
    static func set(_ value: UInt16, _ row: UnsafeMutablePointer<UInt8>, _ index: Int, bitDepth: Int) {
        switch bitDepth {
        case 8: row[index] = UInt8(value)
        case 16:
            row[2 * index] = UInt8(value >> 8)
            row[2 * index + 1] = UInt8(truncatingIfNeeded: value)
        default:
            let bit = index * bitDepth
            let shift = UInt8(8 - bitDepth - bit % 8)
            let mask = UInt8((1 << bitDepth) - 1) << shift
            row[bit / 8] = (row[bit / 8] & ~mask) | (UInt8(value) << shift)
        }
    }
}
