import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
    public var description: String {
        let utc = fields
        return String(cFormat: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.millisecond)
    }

    /// Parses RFC 3339 with or without fractional seconds.
    public init?(parsing text: String) {
        guard let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
        else { return nil }
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The calendar fields in UTC (proleptic Gregorian).
    public struct Fields: Equatable, Sendable {
        public var year, month, day, hour, minute, second, millisecond: Int
    }

    /// This instant's UTC fields, computed from the integer milliseconds (exact, so the text
    /// never shows a millisecond one less from a binary-fraction rounding). The date part is
    /// Howard Hinnant's `civil_from_days`.
    public var fields: Fields {
        let (days, millisecondOfDay) = Self.floorDivide(milliseconds, 86_400_000)
        let shifted = days + 719_468                                 // days since 0000-03-01
        let era = Self.floorDivide(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097                       // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)   // from March 1
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return Fields(year: Int(year), month: Int(month), day: Int(day),
                      hour: Int(millisecondOfDay / 3_600_000), minute: Int(millisecondOfDay / 60_000 % 60),
                      second: Int(millisecondOfDay / 1000 % 60), millisecond: Int(millisecondOfDay % 1000))
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
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
}
