/// Writing a response onto the wire (RFC 9112 §4-6).
extension HTTPResponse {
    /// Whether this status never carries content (RFC 9110 §6.4.1): 1xx, 204 and 304.
    var forbidsContent: Bool {
        (100..<200).contains(status) || status == 204 || status == 304
    }

    /// Whether the handler asked to close the connection after this response.
    var requestsClose: Bool {
        headers.containsToken("close", for: "connection")
    }

    /// Appends the status line, headers and (unless `omitBody`) the body to `output`.
    ///
    /// `Server` and `Date` always come first, `Content-Length` after the handler's headers
    /// (none for 1xx, 204 and 304), and a body without `Content-Type` is declared
    /// `application/octet-stream`.
    ///
    /// The server owns framing: handler-set `Content-Length`, `Transfer-Encoding`,
    /// `Connection`, `Date` and `Server` are replaced. CR and LF in handler header values are
    /// turned into spaces, so a value built from request data cannot split the response.
    func serialize(
        into output: inout [UInt8], keepAlive: Bool, version: HTTPVersion, omitBody: Bool,
        date: [UInt8], serverName: String
    ) {
        output.append(contentsOf: Self.statusLine(for: status))
        output.append(contentsOf: Self.serverPrefix)
        output.append(contentsOf: serverName.utf8)
        output.append(contentsOf: Self.datePrefix)
        output.append(contentsOf: date)
        output.append(contentsOf: Self.crlf)
        for field in headers {
            if Self.isServerOwned(field.name) { continue }
            Self.appendSanitized(field.name, to: &output)
            output.append(contentsOf: Self.colonSpace)
            Self.appendSanitized(field.value, to: &output)
            output.append(contentsOf: Self.crlf)
        }
        if !forbidsContent && !body.isEmpty && !headers.contains("content-type") {
            // RFC 9110 §8.3: content without a declared type; say it is opaque bytes rather
            // than let clients sniff.
            output.append(contentsOf: Self.octetStreamType)
        }
        if !forbidsContent {
            output.append(contentsOf: Self.contentLengthPrefix)
            Self.appendDecimal(body.count, to: &output)
            output.append(contentsOf: Self.crlf)
        }
        if !keepAlive {
            output.append(contentsOf: Self.connectionClose)
        } else if version.minor == 0 {
            output.append(contentsOf: Self.connectionKeepAlive)
        }
        output.append(contentsOf: Self.crlf)
        if !omitBody && !forbidsContent {
            output.append(contentsOf: body)
        }
    }

    // Pre-encoded pieces: building them per response showed up in the benchmark.
    private static let serverPrefix = Array("Server: ".utf8)
    private static let datePrefix = Array("\r\nDate: ".utf8)
    private static let crlf = Array("\r\n".utf8)
    private static let colonSpace = Array(": ".utf8)
    private static let contentLengthPrefix = Array("Content-Length: ".utf8)
    private static let octetStreamType = Array("Content-Type: application/octet-stream\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
    private static let statusLines: [[UInt8]] = (0..<600).map { status in
        Array("HTTP/1.1 \(status) \(reasonPhrase(for: status))\r\n".utf8)
    }

    private static func statusLine(for status: Int) -> [UInt8] {
        statusLines.indices.contains(status) ? statusLines[status] : Array("HTTP/1.1 \(status) Unknown\r\n".utf8)
    }

    /// Appends the decimal digits of a non-negative `value` without building a String.
    private static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var remaining = max(0, value)
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            output.append(contentsOf: buffer[index...])
        }
    }

    private static func isServerOwned(_ name: String) -> Bool {
        // Cheap first-letter filter before the case-insensitive comparisons.
        guard let first = name.utf8.first.map(ASCII.lowercased),
              first == UInt8(ascii: "c") || first == UInt8(ascii: "t") || first == UInt8(ascii: "d")
                || first == UInt8(ascii: "s") else { return false }
        return HTTPHeaders.namesEqual(name, "content-length") || HTTPHeaders.namesEqual(name, "transfer-encoding")
            || HTTPHeaders.namesEqual(name, "connection") || HTTPHeaders.namesEqual(name, "date")
            || HTTPHeaders.namesEqual(name, "server")
    }

    private static func appendSanitized(_ text: String, to output: inout [UInt8]) {
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 == ASCII.cr || $0 == ASCII.lf }) {
            output.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            output.append(byte == ASCII.cr || byte == ASCII.lf ? ASCII.space : byte)
        }
    }
}
