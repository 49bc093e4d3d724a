/// Why a safetensors file was refused. Each case names the file (`path`; `"<memory>"` for
/// bytes that did not come from a file) and, where it applies, the tensor, so a corrupt or
/// truncated model says exactly what is wrong with it.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read; `reason` is the errno text.
    case readFailed(path: String, reason: String)
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(path: String, size: Int)
    /// The header length exceeds the 100 MB limit.
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    /// The header length runs past the end of the file.
    case headerBeyondFile(path: String, length: UInt64, available: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8(path: String)
    /// The header is not valid JSON (`reason` says where).
    case headerNotJSON(path: String, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(path: String)
    /// A key occurs twice in one JSON object.
    case duplicateKey(path: String, key: String)
    /// `__metadata__` is not an object of strings; `key` is the offending entry, if any.
    case invalidMetadata(path: String, key: String?)
    /// A tensor's entry is not an object.
    case invalidEntry(path: String, tensor: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// The dtype is not one of `SafeTensors.DType` (or not a string).
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The shape is not an array of non-negative integers.
    case invalidShape(path: String, tensor: String)
    /// The shape's element count (times the element size) overflows.
    case shapeOverflow(path: String, tensor: String, shape: [Int])
    /// `data_offsets` is not two non-negative integers.
    case invalidOffsets(path: String, tensor: String)
    /// `data_offsets` begins after it ends.
    case offsetsReversed(path: String, tensor: String, begin: Int, end: Int)
    /// `data_offsets` ends past the end of the data buffer.
    case offsetsOutOfBounds(path: String, tensor: String, end: Int, bufferSize: Int)
    /// The byte range does not hold exactly `product(shape) * size(dtype)` bytes.
    case sizeMismatch(path: String, tensor: String, expected: Int, actual: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// Bytes of the data buffer that no tensor covers (a gap, or trailing bytes).
    case uncoveredBytes(path: String, begin: Int, end: Int)
    /// A typed accessor was used on a tensor of another dtype.
    case wrongDType(expected: SafeTensors.DType, found: SafeTensors.DType)

    public var description: String {
        switch self {
        case .readFailed(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .fileTooShort(let path, let size):
            return "\(path): \(size) bytes is too short for a safetensors file (8-byte header length missing)"
        case .headerTooLarge(let path, let length, let limit):
            return "\(path): header length \(length) exceeds the limit of \(limit) bytes"
        case .headerBeyondFile(let path, let length, let available):
            return "\(path): header length \(length) runs past the end of the file (\(available) bytes follow it); truncated?"
        case .headerNotUTF8(let path):
            return "\(path): header is not valid UTF-8"
        case .headerNotJSON(let path, let reason):
            return "\(path): header is not valid JSON: \(reason)"
        case .headerNotObject(let path):
            return "\(path): header is not a JSON object"
        case .duplicateKey(let path, let key):
            return "\(path): key \"\(key)\" occurs twice in the header"
        case .invalidMetadata(let path, let key):
            if let key { return "\(path): __metadata__ value for \"\(key)\" is not a string" }
            return "\(path): __metadata__ is not an object"
        case .invalidEntry(let path, let tensor):
            return "\(path): tensor \"\(tensor)\": entry is not an object"
        case .missingField(let path, let tensor, let field):
            return "\(path): tensor \"\(tensor)\": missing \"\(field)\""
        case .unknownDType(let path, let tensor, let dtype):
            return "\(path): tensor \"\(tensor)\": unknown dtype \(dtype)"
        case .invalidShape(let path, let tensor):
            return "\(path): tensor \"\(tensor)\": shape is not a list of non-negative integers"
        case .shapeOverflow(let path, let tensor, let shape):
            return "\(path): tensor \"\(tensor)\": shape \(shape) is too large"
        case .invalidOffsets(let path, let tensor):
            return "\(path): tensor \"\(tensor)\": data_offsets is not two non-negative integers"
        case .offsetsReversed(let path, let tensor, let begin, let end):
            return "\(path): tensor \"\(tensor)\": data_offsets begin \(begin) is after end \(end)"
        case .offsetsOutOfBounds(let path, let tensor, let end, let bufferSize):
            return "\(path): tensor \"\(tensor)\": data ends at \(end), past the \(bufferSize)-byte buffer; truncated?"
        case .sizeMismatch(let path, let tensor, let expected, let actual):
            return "\(path): tensor \"\(tensor)\": shape and dtype need \(expected) bytes, data_offsets give \(actual)"
        case .overlappingTensors(let path, let first, let second):
            return "\(path): tensors \"\(first)\" and \"\(second)\" overlap"
        case .uncoveredBytes(let path, let begin, let end):
            return "\(path): data bytes \(begin)..<\(end) belong to no tensor"
        case .wrongDType(let expected, let found):
            return "tensor is \(found.rawValue), not \(expected.rawValue)"
        }
    }
}
