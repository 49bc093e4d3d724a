/// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), as ranges into the
/// line so that validating it allocates nothing.
struct RequestLine {
    var method: Range<Int>
    var target: Range<Int>
    var version: HTTPVersion

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Result<RequestLine, HTTPParseError> {
        if line.contains(ASCII.cr) { return .failure(.bareCarriageReturn) }
        let count = line.count
        var index = 0
        while index < count && ASCII.isToken(line[index]) { index += 1 }
        guard index > 0, index < count, line[index] == ASCII.space else {
            return .failure(index == count && index > 0 ? .invalidRequestTarget : .invalidMethod)
        }
        let method = 0..<index
        let targetStart = index + 1
        index = targetStart
        while index < count && ASCII.isTargetChar[Int(line[index])] { index += 1 }
        guard index > targetStart else { return .failure(.invalidRequestTarget) }
        let target = targetStart..<index
        if index == count {
            // "GET /path" and nothing more: an HTTP/0.9 simple request.
            return .failure(.http09Request)
        }
        guard line[index] == ASCII.space else { return .failure(.invalidRequestTarget) }
        let versionBytes = UnsafeBufferPointer(rebasing: line[(index + 1)...])
        guard versionBytes.count == 8,
              versionBytes.starts(with: "HTTP/".utf8),
              versionBytes[6] == UInt8(ascii: "."),
              let major = digitValue(versionBytes[5]),
              let minor = digitValue(versionBytes[7]) else {
            return .failure(.invalidVersion)
        }
        guard major == 1 else { return .failure(.unsupportedVersion) }
        // RFC 9110 §2.5: a higher minor version is handled as the highest we support.
        let version = minor == 0 ? HTTPVersion.http1_0 : HTTPVersion.http1_1
        return .success(RequestLine(method: method, target: target, version: version))
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}

/// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5), as ranges into the line.
struct FieldLine {
    var name: Range<Int>
    var value: Range<Int>

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Result<FieldLine, HTTPParseError> {
        let count = line.count
        guard count > 0 else { return .failure(.invalidHeaderName) }
        if line[0] == ASCII.space || line[0] == ASCII.tab { return .failure(.obsoleteLineFolding) }
        var index = 0
        while index < count && line[index] != ASCII.colon {
            let byte = line[index]
            if !ASCII.isToken(byte) {
                return .failure(byte == ASCII.cr ? .bareCarriageReturn : .invalidHeaderName)
            }
            index += 1
        }
        guard index < count else { return .failure(.missingColon) }
        guard index > 0 else { return .failure(.invalidHeaderName) }
        let name = 0..<index
        var valueStart = index + 1
        var valueEnd = count
        while valueStart < valueEnd && (line[valueStart] == ASCII.space || line[valueStart] == ASCII.tab) {
            valueStart += 1
        }
        while valueEnd > valueStart && (line[valueEnd - 1] == ASCII.space || line[valueEnd - 1] == ASCII.tab) {
            valueEnd -= 1
        }
        for position in valueStart..<valueEnd {
            let byte = line[position]
            if !ASCII.isFieldValueChar[Int(byte)] {
                return .failure(byte == ASCII.cr ? .bareCarriageReturn : .invalidHeaderValue)
            }
        }
        return .success(FieldLine(name: name, value: valueStart..<valueEnd))
    }
}

/// chunk-size [ chunk-ext ] (RFC 9112 §7.1.1):
/// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ).
/// Extensions are checked and ignored; they carry nothing we use.
enum ChunkSizeLine {
    static func parse(_ line: UnsafeBufferPointer<UInt8>, maxSize: Int) -> Result<Int, HTTPParseError> {
        let count = line.count
        var index = 0
        var size = 0
        while index < count, let digit = ASCII.hexValue(line[index]) {
            if size > (Int.max - 15) >> 4 { return .failure(.bodyTooLarge) }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { return .failure(.invalidChunkSize) }
        if size > maxSize { return .failure(.bodyTooLarge) }
        if index < count {
            let byte = line[index]
            guard byte == ASCII.space || byte == ASCII.tab || byte == ASCII.semicolon else {
                return .failure(.invalidChunkSize)
            }
        }
        while index < count {
            skipWhitespace(line, &index)
            guard index < count, line[index] == ASCII.semicolon else { return .failure(.invalidChunkExtension) }
            index += 1
            skipWhitespace(line, &index)
            guard skipToken(line, &index) else { return .failure(.invalidChunkExtension) }
            let afterName = index
            skipWhitespace(line, &index)
            if index < count && line[index] == ASCII.equals {
                index += 1
                skipWhitespace(line, &index)
                guard skipToken(line, &index) || skipQuotedString(line, &index) else {
                    return .failure(.invalidChunkExtension)
                }
            } else {
                index = afterName
            }
        }
        return .success(size)
    }

    private static func skipWhitespace(_ line: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < line.count && (line[index] == ASCII.space || line[index] == ASCII.tab) { index += 1 }
    }

    private static func skipToken(_ line: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        let begin = index
        while index < line.count && ASCII.isToken(line[index]) { index += 1 }
        return index > begin
    }

    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4).
    private static func skipQuotedString(_ line: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        guard index < line.count, line[index] == ASCII.quote else { return false }
        var position = index + 1
        while position < line.count {
            let byte = line[position]
            if byte == ASCII.quote {
                index = position + 1
                return true
            }
            if byte == ASCII.backslash {
                guard position + 1 < line.count, ASCII.isFieldValueChar[Int(line[position + 1])] else { return false }
                position += 2
                continue
            }
            guard byte == ASCII.tab || (byte >= 0x20 && byte != 0x7F) else { return false }
            position += 1
        }
        return false
    }
}
