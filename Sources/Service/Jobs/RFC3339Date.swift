import Foundation
import Platform

/// A point in time that is always written as an RFC 3339 string with milliseconds
/// (`2026-11-25T10:00:00.123Z`), whatever date strategy the encoder has, so job and model
/// JSON read the same on disk and over HTTP.
///
/// It keeps whole milliseconds, so a value survives a write and a read unchanged (a `Date`
/// would come back off by a rounding error and no longer compare equal).
public struct RFC3339Date: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    public init(_ date: Date) {
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The wall-clock time `time` reads now: how jobs and activations are stamped.
    public init(now time: TimeSource) {
        self.init(Date(timeIntervalSince1970: time.secondsSince1970()))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// The RFC 3339 text, UTC, with milliseconds.
    public var description: String { Self.formatter(fractional: true).string(from: date) }

    /// Parses RFC 3339 with or without fractional seconds.
    public init?(parsing text: String) {
        guard let date = Self.formatter(fractional: true).date(from: text) ?? Self.formatter(fractional: false).date(from: text)
        else { return nil }
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = RFC3339Date(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an RFC 3339 date")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: RFC3339Date, rhs: RFC3339Date) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// A fresh formatter per call: `ISO8601DateFormatter` is not documented as thread-safe and
    /// these are written a few times a second at most.
    private static func formatter(fractional: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }
}
