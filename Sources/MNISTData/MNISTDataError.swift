/// Everything that can go wrong reading MNIST. Each case carries the file (or directory) it is
/// about, so that a user pointed at the wrong directory, or at a truncated download, sees
/// which file is at fault and why.
public enum MNISTDataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The MNIST directory does not exist or is not a directory.
    case directoryNotFound(String)
    /// None of the accepted names for one of the four files exists in the directory.
    case fileNotFound(directory: String, candidates: [String])
    /// The file exists but could not be read (permissions, I/O error); `reason` is the errno text.
    case readFailed(path: String, reason: String)
    /// The file (or its decompressed content) is larger than anything MNIST-like can be.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// The gzip stream is corrupt, truncated or inflates beyond the limit.
    case decompressionFailed(path: String, reason: String)
    /// The file ends inside its header.
    case headerTruncated(path: String, size: Int, needed: Int)
    /// The magic number is not the one for this kind of file (wrong file, or not IDX at all).
    case wrongMagic(path: String, expected: UInt32, found: UInt32)
    /// The element type byte is not 0x08 (unsigned byte), the only type MNIST uses.
    case unsupportedDataType(path: String, code: UInt8)
    /// The dimensions multiply to more elements than the limit (or overflow `Int`).
    case dimensionsTooLarge(path: String, dimensions: [Int], limit: Int)
    /// The payload is shorter than the dimensions say.
    case payloadTruncated(path: String, expected: Int, found: Int)
    /// Bytes follow the payload that the dimensions do not account for.
    case trailingBytes(path: String, expected: Int, found: Int)
    /// The images and labels files disagree on how many examples there are.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    /// A label is not a digit 0...9.
    case invalidLabel(path: String, index: Int, value: UInt8)

    public var description: String {
        switch self {
        case .directoryNotFound(let path):
            return "\(path): MNIST directory not found"
        case .fileNotFound(let directory, let candidates):
            return "\(directory): none of \(candidates.joined(separator: ", ")) found"
        case .readFailed(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .fileTooLarge(let path, let size, let limit):
            return "\(path): \(size) bytes exceeds the limit of \(limit) bytes"
        case .decompressionFailed(let path, let reason):
            return "\(path): cannot decompress: \(reason)"
        case .headerTruncated(let path, let size, let needed):
            return "\(path): file is \(size) bytes, too short for its \(needed)-byte IDX header"
        case .wrongMagic(let path, let expected, let found):
            return "\(path): expected magic \(hex(expected)), found \(hex(found))"
        case .unsupportedDataType(let path, let code):
            return "\(path): element type 0x\(String(code, radix: 16, uppercase: true)) is not supported (only 0x08, unsigned byte)"
        case .dimensionsTooLarge(let path, let dimensions, let limit):
            return "\(path): dimensions \(dimensions.map(String.init).joined(separator: "x")) exceed the limit of \(limit) elements"
        case .payloadTruncated(let path, let expected, let found):
            return "\(path): truncated: dimensions need \(expected) data bytes, found \(found)"
        case .trailingBytes(let path, let expected, let found):
            return "\(path): \(found - expected) unexpected bytes after the \(expected) data bytes"
        case .countMismatch(let imagesPath, let images, let labelsPath, let labels):
            return "\(imagesPath) has \(images) images but \(labelsPath) has \(labels) labels"
        case .invalidLabel(let path, let index, let value):
            return "\(path): label \(index) is \(value), not a digit 0-9"
        }
    }
}

/// `0x00000803`: eight uppercase hex digits, the way IDX magic numbers are written.
private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
