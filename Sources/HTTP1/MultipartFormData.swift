/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable {
    /// The `name` parameter of `Content-Disposition: form-data`.
    public var name: String?
    /// The `filename` parameter, present for file parts.
    public var filename: String?
    /// The part's `Content-Type`, nil when absent (RFC 7578 §4.4 then means text/plain).
    public var contentType: MediaType?
    /// The part's header fields in order.
    public var headers: HTTPHeaders
    /// The part's content, exactly the bytes between its blank line and the next delimiter.
    public var body: [UInt8]
}

/// Why a multipart body was rejected.
public enum MultipartError: Error, Sendable, Equatable {
    /// The boundary parameter is empty, longer than 70 bytes, or has bytes outside `bchars`.
    case invalidBoundary
    /// The body never contains the opening delimiter `--boundary`.
    case missingBoundary
    /// The body ends before the closing delimiter `--boundary--`.
    case missingClosingBoundary
    /// A part's header section is malformed or unterminated.
    case malformedPartHeaders
    /// More parts than the caller allows.
    case tooManyParts
    /// A part's header section is longer than the caller allows (an 8 MiB body of one-byte
    /// header lines would otherwise become a million header fields).
    case partHeadersTooLarge
}

/// `multipart/form-data` (RFC 7578) split along RFC 2046 §5.1.1 boundaries.
public enum MultipartFormData {
    /// Splits `body` into parts.
    ///
    /// The preamble and epilogue are ignored. Each delimiter must start a line; transport
    /// padding (spaces and tabs) after it is allowed. At most `maxParts` parts, each with a
    /// header section (its lines and their CRLFs, up to the blank line) of at most
    /// `maxPartHeaderBytes`.
    public static func parse(body: [UInt8], boundary: String, maxParts: Int = 1000,
                             maxPartHeaderBytes: Int = 8192) throws -> [MultipartPart] {
        let boundaryBytes = Array(boundary.utf8)
        guard (1...70).contains(boundaryBytes.count),
              boundaryBytes.allSatisfy(isBoundaryChar),
              boundaryBytes.last != ASCII.space else { throw MultipartError.invalidBoundary }
        let dashBoundary = Array("--".utf8) + boundaryBytes
        let delimiter = Array("\r\n".utf8) + dashBoundary

        // The first delimiter may start the body without a CRLF in front.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw MultipartError.missingBoundary
        }

        var parts: [MultipartPart] = []
        while true {
            // After a delimiter: "--" closes, otherwise padding and CRLF open a part.
            if body.count >= position + 2 && body[position] == UInt8(ascii: "-") && body[position + 1] == UInt8(ascii: "-") {
                // RFC 2046 §5.1.1 needs one body part: a close delimiter first means the
                // opening one is missing.
                if parts.isEmpty { throw MultipartError.missingBoundary }
                return parts
            }
            while position < body.count && (body[position] == ASCII.space || body[position] == ASCII.tab) { position += 1 }
            guard position + 1 < body.count, body[position] == ASCII.cr, body[position + 1] == ASCII.lf else {
                throw MultipartError.missingClosingBoundary
            }
            position += 2
            guard parts.count < maxParts else { throw MultipartError.tooManyParts }

            let (headers, bodyStart) = try parseHeaders(body, from: position, maxBytes: maxPartHeaderBytes)
            guard let next = find(delimiter, in: body, from: bodyStart) else {
                throw MultipartError.missingClosingBoundary
            }
            let partBody = Array(body[bodyStart..<next])
            parts.append(try makePart(headers: headers, body: partBody))
            position = next + delimiter.count
        }
    }

    /// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space.
    private static func isBoundaryChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "'()+_,-./:=? ".utf8.contains(byte)
        }
    }

    /// Header lines up to the blank line; returns them and where the part body starts. The
    /// search for each line's end stops at `maxBytes`, so an endless header line costs no more
    /// than a long one.
    private static func parseHeaders(_ body: [UInt8], from start: Int, maxBytes: Int) throws -> (HTTPHeaders, Int) {
        var headers = HTTPHeaders()
        var lineStart = start
        let searchEnd = min(body.count, start + maxBytes)
        while true {
            guard let lf = body[lineStart..<searchEnd].firstIndex(of: ASCII.lf) else {
                throw searchEnd < body.count ? MultipartError.partHeadersTooLarge : MultipartError.malformedPartHeaders
            }
            guard lf > lineStart, body[lf - 1] == ASCII.cr else { throw MultipartError.malformedPartHeaders }
            if lf - 1 == lineStart { return (headers, lf + 1) }
            let line = body[lineStart..<(lf - 1)]
            let parsed = line.withUnsafeBufferPointer { FieldLine.parse($0) }
            guard case .success(let field) = parsed else { throw MultipartError.malformedPartHeaders }
            let base = line.startIndex
            headers.add(
                name: String(decoding: line[(base + field.name.lowerBound)..<(base + field.name.upperBound)], as: UTF8.self),
                value: String(decoding: line[(base + field.value.lowerBound)..<(base + field.value.upperBound)], as: UTF8.self))
            lineStart = lf + 1
        }
    }

    private static func makePart(headers: HTTPHeaders, body: [UInt8]) throws -> MultipartPart {
        var name: String?
        var filename: String?
        if let disposition = headers["content-disposition"] {
            var scanner = ParameterScanner(Array(disposition.utf8))
            scanner.skipWhitespace()
            guard scanner.token() != nil, let parameters = scanner.parameters() else {
                throw MultipartError.malformedPartHeaders
            }
            name = parameters.first { $0.name == "name" }?.value
            filename = parameters.first { $0.name == "filename" }?.value
        }
        var contentType: MediaType?
        if let typeText = headers["content-type"] {
            guard let parsed = MediaType(parsing: typeText) else { throw MultipartError.malformedPartHeaders }
            contentType = parsed
        }
        return MultipartPart(name: name, filename: filename, contentType: contentType, headers: headers, body: body)
    }

    /// The first index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = max(from, 0)
        let last = haystack.count - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
