/// The decoded parts of a request-target (RFC 9112 §3.2).
struct RequestTarget {
    var path: String
    var query: [(name: String, value: String)]
    /// The path segments, each decoded on its own, when the path has an escaped slash
    /// (`%2F`): only then do they differ from splitting `path`, and only then are they kept.
    var segmentsWithEncodedSlash: [String]?

    /// Splits and decodes `target`; nil for a form the method does not allow, a `#`, a bad
    /// percent escape, an escaped NUL, or bytes that do not decode as UTF-8.
    init?(method: String, target: [UInt8]) {
        guard let first = target.first else { return nil }
        var pathStart = 0
        if first == ASCII.slash {
            pathStart = 0
        } else if target == [UInt8(ascii: "*")] {
            // asterisk-form is only for a server-wide OPTIONS (RFC 9112 §3.2.4).
            guard method == "OPTIONS" else { return nil }
            path = "*"
            query = []
            return
        } else if let afterScheme = Self.absoluteFormPathStart(target) {
            // absolute-form: a server must accept it even though only proxies need it.
            pathStart = afterScheme
        } else {
            return nil
        }
        if target.contains(UInt8(ascii: "#")) { return nil }
        let queryStart = target[pathStart...].firstIndex(of: ASCII.question)
        let pathBytes = pathStart < target.count ? target[pathStart..<(queryStart ?? target.count)] : []
        if pathBytes.isEmpty {
            path = "/"
        } else {
            guard let decoded = Self.percentDecoded(pathBytes, plusIsSpace: false) else { return nil }
            path = decoded
            if Self.containsEncodedSlash(pathBytes) {
                var segments: [String] = []
                for segment in pathBytes.split(separator: ASCII.slash, omittingEmptySubsequences: false).dropFirst() {
                    guard let decodedSegment = Self.percentDecoded(segment, plusIsSpace: false) else { return nil }
                    segments.append(decodedSegment)
                }
                segmentsWithEncodedSlash = segments
            }
        }
        query = []
        if let queryStart {
            for pair in target[(queryStart + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
                let equals = pair.firstIndex(of: ASCII.equals)
                let nameBytes = pair[pair.startIndex..<(equals ?? pair.endIndex)]
                let valueBytes = equals.map { pair[($0 + 1)...] } ?? []
                guard let name = Self.percentDecoded(nameBytes, plusIsSpace: true),
                      let value = Self.percentDecoded(valueBytes, plusIsSpace: true) else { return nil }
                query.append((name, value))
            }
        }
    }

    private static func containsEncodedSlash(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        while let percent = bytes[index...].firstIndex(of: ASCII.percent) {
            if percent + 2 < bytes.endIndex && bytes[percent + 1] == UInt8(ascii: "2")
                && ASCII.lowercased(bytes[percent + 2]) == UInt8(ascii: "f") {
                return true
            }
            index = percent + 1
        }
        return false
    }

    /// Where the path starts in an `http://` or `https://` target, or nil for another form.
    private static func absoluteFormPathStart(_ target: [UInt8]) -> Int? {
        let lowered = target.prefix(8).map(ASCII.lowercased)
        let schemeLength: Int
        if lowered.starts(with: Array("http://".utf8)) {
            schemeLength = 7
        } else if lowered.starts(with: Array("https://".utf8)) {
            schemeLength = 8
        } else {
            return nil
        }
        guard schemeLength < target.count, target[schemeLength] != ASCII.slash else { return nil }
        let pathOrQuery = target[schemeLength...].firstIndex { $0 == ASCII.slash || $0 == ASCII.question }
        return pathOrQuery ?? target.count
    }

    /// Decodes `%XX` escapes (and `+` in queries); nil for a bad escape, `%00` or invalid UTF-8.
    static func percentDecoded(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        if !bytes.contains(ASCII.percent) && !(plusIsSpace && bytes.contains(UInt8(ascii: "+"))) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == ASCII.percent {
                guard index + 2 < bytes.endIndex,
                      let high = ASCII.hexValue(bytes[index + 1]),
                      let low = ASCII.hexValue(bytes[index + 2]) else { return nil }
                let value = UInt8(high << 4 | low)
                if value == 0 { return nil }
                decoded.append(value)
                index += 3
            } else {
                decoded.append(plusIsSpace && byte == UInt8(ascii: "+") ? ASCII.space : byte)
                index += 1
            }
        }
        return String(validating: decoded, as: UTF8.self)
    }
}
