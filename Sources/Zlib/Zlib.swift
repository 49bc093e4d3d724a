import CZlib

/// A thin Swift face on zlib: inflate and deflate whole buffers, with a hard cap on output so
/// that a small hostile input (a "zip bomb") is refused instead of filling memory.
public enum Zlib {
    /// The container around a deflate stream.
    public enum Format: Sendable {
        /// RFC 1950 zlib (what PNG's IDAT uses).
        case zlib
        /// RFC 1952 gzip (what `.gz` files use).
        case gzip
        /// zlib or gzip, recognised by the header.
        case automatic
        /// RFC 1951, no header.
        case raw

        var windowBits: Int32 {
            switch self {
            case .zlib: return MAX_WBITS
            case .gzip: return MAX_WBITS + 16
            case .automatic: return MAX_WBITS + 32
            case .raw: return -MAX_WBITS
            }
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// The stream is not valid deflate data (or its checksum is wrong).
        case corrupt(String)
        /// The stream ended before its end marker.
        case truncated
        /// Inflating would produce more than the allowed number of bytes.
        case outputTooLarge(limit: Int)
        /// zlib itself failed (out of memory, version mismatch).
        case internalError(Int32)

        public var description: String {
            switch self {
            case .corrupt(let message): return "corrupt compressed data: \(message)"
            case .truncated: return "compressed data ends early"
            case .outputTooLarge(let limit): return "decompressed data exceeds the limit of \(limit) bytes"
            case .internalError(let code): return "zlib error \(code)"
            }
        }
    }

    /// Whether `bytes` starts with the gzip magic number.
    public static func isGzip<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1f && iterator.next() == 0x8b
    }

    /// Inflates a whole stream.
    ///
    /// - Parameters:
    ///   - input: the compressed bytes.
    ///   - format: the container; `.automatic` accepts zlib or gzip.
    ///   - limit: the most bytes the output may hold; more throws `.outputTooLarge`.
    ///   - expectedSize: a hint for the first allocation.
    /// - Throws: `Zlib.Error`; trailing bytes after the end of the stream are ignored,
    ///   as gzip(1) does for concatenated members' padding.
    public static func inflate(_ input: [UInt8], format: Format = .automatic,
                               limit: Int = 1 << 30, expectedSize: Int = 0) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Error.internalError(status) }
        defer { inflateEnd(&stream) }

        var output = [UInt8]()
        output.reserveCapacity(min(limit, max(expectedSize, 4 * input.count, 1024)))
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = UInt32(inputBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END:
                    break
                case Z_BUF_ERROR:
                    // No progress possible: input exhausted before the end marker.
                    throw Error.truncated
                case Z_DATA_ERROR, Z_NEED_DICT:
                    throw Error.corrupt(stream.msg.map { String(cString: $0) } ?? "invalid data")
                default:
                    throw Error.internalError(status)
                }
                if output.count + produced > limit { throw Error.outputTooLarge(limit: limit) }
                output.append(contentsOf: chunk[0..<produced])
                if status != Z_STREAM_END && stream.avail_in == 0 && produced < chunkSize {
                    throw Error.truncated
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Deflates a whole buffer.
    public static func deflate(_ input: [UInt8], format: Format = .zlib, level: Int32 = 6) throws -> [UInt8] {
        precondition(format != .automatic, "deflate needs a concrete format")
        var stream = z_stream()
        var status = deflateInit2_(&stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Error.internalError(status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        try input.withUnsafeBufferPointer { inputBuffer in
            try output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
                stream.avail_in = UInt32(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = UInt32(bound)
                status = CZlib.deflate(&stream, Z_FINISH)
                guard status == Z_STREAM_END else { throw Error.internalError(status) }
            }
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// CRC-32 (ISO 3309, as PNG and gzip use it), continuing from `initial`.
    public static func crc32<C: Collection>(_ bytes: C, initial: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            UInt32(CZlib.crc32(UInt(initial), buffer.baseAddress, UInt32(buffer.count)))
        }
        if let contiguous { return contiguous }
        let copy = Array(bytes)
        return copy.withUnsafeBufferPointer { UInt32(CZlib.crc32(UInt(initial), $0.baseAddress, UInt32($0.count))) }
    }
}
