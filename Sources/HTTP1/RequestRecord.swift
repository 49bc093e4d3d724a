/// What the server reports about each answered request, for metrics.
public struct RequestRecord: Sendable, Equatable {
    /// The method, or "-" when the request could not be parsed.
    public var method: String
    /// The route template that answered, nil when no route matched (404, parse errors).
    public var route: String?
    /// The decoded path, or "-" when the request could not be parsed.
    public var path: String
    /// The response status.
    public var status: Int
    /// Body bytes sent (0 for HEAD).
    public var responseBytes: Int
    /// From the complete request to its response being queued for writing.
    public var durationSeconds: Double

    /// A record with every field given.
    public init(method: String, route: String?, path: String, status: Int, responseBytes: Int, durationSeconds: Double) {
        self.method = method
        self.route = route
        self.path = path
        self.status = status
        self.responseBytes = responseBytes
        self.durationSeconds = durationSeconds
    }
}

extension RequestRecord {
    /// The path as the access log writes it: control characters escaped again.
    public var loggablePath: String { Self.loggable(path) }

    /// The duration in milliseconds with three decimals, as the access log writes it.
    public var durationMilliseconds: String { Self.milliseconds(durationSeconds) }

    /// The access log's message for this record: `GET /path 200 21B 0.123ms`.
    public var accessLogMessage: String {
        "\(method) \(loggablePath) \(status) \(responseBytes)B \(durationMilliseconds)ms"
    }

    /// `seconds` in milliseconds with three decimals ("1.250"), without `String(format:)`,
    /// which costs more than the rest of the line on Linux.
    static func milliseconds(_ seconds: Double) -> String {
        let microseconds = Int((max(0, seconds) * 1_000_000).rounded())
        let fraction = microseconds % 1000
        let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(microseconds / 1000).\(padding)\(fraction)"
    }

    /// The decoded path with control characters re-escaped, so `%0A` in a request cannot
    /// forge a second access-log line.
    static func loggable(_ path: String) -> String {
        guard path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return path }
        var escaped = ""
        for scalar in path.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                escaped += "%" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
