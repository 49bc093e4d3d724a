import Imaging

extension Base64 {
    /// Encodes `bytes`, in the standard or URL-safe alphabet, with or without padding: the
    /// bodies the tests send to the decoder in `Imaging` (the service only decodes base64).
    public static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> String {
        let alphabet = Array((urlSafe
            ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if remaining > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if remaining > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0...remaining {
                output.append(alphabet[Int(group >> UInt32(18 - 6 * position)) & 63])
            }
            if padded && remaining < 3 {
                output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - remaining))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
