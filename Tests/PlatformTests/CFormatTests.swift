import Foundation
import Platform
import Testing

/// `String(cFormat:)` replaces Foundation's `String(format:)` in the binary; every conversion
/// the CLI and the service use must give the same bytes as before.
@Suite struct CFormatTests {
    @Test func formatsLikeTheCLIPrintsIt() {
        #expect(String(cFormat: "%.2f", 98.765) == "98.77")
        #expect(String(cFormat: "%.0f", 1234.5) == "1234")
        #expect(String(cFormat: "%.4f", 0.000_12) == "0.0001")
        #expect(String(cFormat: "%.2e", 0.001) == "1.00e-03")
        #expect(String(cFormat: "%.4g", 0.012_345_6) == "0.01235")
        #expect(String(cFormat: "%5d", 42) == "   42")
        #expect(String(cFormat: "%d:%02d:%02d", 1, 2, 3) == "1:02:03")
        #expect(String(cFormat: "%.2f %%", 12.5) == "12.50 %")
        #expect(String(cFormat: "%.1f", -0.04) == "-0.0")
        #expect(String(cFormat: "%.1f", Double.infinity) == "inf")
    }

    /// Longer than the first buffer: the second pass gets every byte.
    @Test func formatsLongOutput() {
        let long = String(cFormat: "%.40f|%0100d", 1.0 / 3.0, 7)
        #expect(long.count == 42 + 1 + 100)
        #expect(long.hasPrefix("0.3333333333333333148296"))
        #expect(long.hasSuffix("0007"))
    }

    @Test func matchesFoundationsFormatting() {
        let values: [Double] = [0, -0.0, 1, -1, 0.5, 2.5, 99.995, 1e-9, 123_456_789.123, 6.02e23, .nan, -.infinity]
        for format in ["%.1f", "%.2f", "%.4f", "%.0f", "%.2e", "%.4g", "%.1f µs"] {
            for value in values {
                #expect(String(cFormat: format, value) == String(format: format, value), "\(format) \(value)")
            }
        }
        for value in [0, 7, -7, 59, 3600, 99_999] {
            for format in ["%d", "%5d", "%02d"] {
                #expect(String(cFormat: format, value) == String(format: format, value), "\(format) \(value)")
            }
        }
    }
}

/// `trimmingWhitespace` replaces Foundation's `trimmingCharacters(in:)`: the same results for
/// `.whitespacesAndNewlines` and `.whitespaces`.
@Suite struct WhitespaceTests {
    static let samples = [
        "", " ", "\t\n", "abc", "  abc  ", "\tA B\r\n", "\n\n12345\n", " \u{00A0}x\u{3000} ", "\u{2028}y\u{0085}",
        "a\u{000B}", " 2 GiB\t", "\r\n", "x \u{0301}",
    ]

    @Test func matchesFoundation() {
        for sample in Self.samples {
            #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(sample.unicodeScalars))")
            #expect(sample.trimmingWhitespace(newlines: false) == sample.trimmingCharacters(in: .whitespaces), "\(Array(sample.unicodeScalars))")
        }
        #expect(" a b ".dropFirst().trimmingWhitespace() == "a b")
    }
}
