import Foundation
import Service
import Testing

/// `RFC3339Date` writes its text from integer milliseconds and parses with
/// `Date.ISO8601FormatStyle` (was ISO8601DateFormatter): the same text, the same values.
@Suite struct RFC3339DateTextTests {
    static func foundationText(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    @Test func writesLikeISO8601DateFormatter() {
        var generator = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */,
                              1_795_000_000_123, 4_102_444_799_999 /* 2099-12-31T23:59:59.999 */, 253_402_300_799_000]
        let random = (0..<2000).map { _ in Int64.random(in: 0...4_102_444_800_000, using: &generator) }
        for milliseconds in fixed + random {
            #expect(RFC3339Date(milliseconds: milliseconds).description == Self.foundationText(milliseconds), "\(milliseconds)")
        }
        #expect(RFC3339Date(milliseconds: 1_795_000_000_123).description == "2026-11-18T11:06:40.123Z")
        #expect(RFC3339Date(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesWhatItWritesAndWhatFoundationParsed() throws {
        for milliseconds: Int64 in [0, 1, 1_795_000_000_123, 4_102_444_799_999] {
            let date = RFC3339Date(milliseconds: milliseconds)
            #expect(RFC3339Date(parsing: date.description) == date)
        }
        #expect(RFC3339Date(parsing: "2026-11-18T11:06:40Z")?.milliseconds == 1_795_000_000_000)
        #expect(RFC3339Date(parsing: "2026-11-18T12:06:40.5+01:00")?.milliseconds == 1_795_000_000_500)
        for text in ["", "yesterday", "2026-11-17", "2026-13-01T00:00:00Z", "2026-11-17 10:26:40Z"] {
            #expect(RFC3339Date(parsing: text) == nil, "\(text)")
        }
    }

    /// Job ids carry the creation time in UTC, `job-yyyyMMddTHHmmssZ-xxxxxx`.
    @Test func jobIDsCarryTheUTCTime() {
        let id = JobStore.makeID(at: RFC3339Date(milliseconds: 1_795_000_000_999))
        #expect(id.hasPrefix("job-20261118T110640Z-"))
        #expect(id.utf8.count == "job-20261118T110640Z-".utf8.count + 6)
    }
}
