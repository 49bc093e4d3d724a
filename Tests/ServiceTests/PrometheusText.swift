/// A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check
/// that `/metrics` parses and to read sample values: `# HELP` and `# TYPE` lines, and samples
/// `name{label="value",...} value [timestamp]`.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    /// Metric family name → its `# TYPE`.
    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    static let metricTypes: Set<String> = ["counter", "gauge", "histogram", "summary", "untyped"]

    init(_ text: String) throws {
        var helped: Set<String> = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = number + 1
            func fail(_ reason: String) -> ParseError { ParseError(line: lineNumber, reason: reason + ": \(line)") }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard fields.count >= 2, fields[0] == "#" else { continue }
                if fields[1] == "TYPE" {
                    guard fields.count == 4, Self.isMetricName(fields[2]), Self.metricTypes.contains(String(fields[3])) else {
                        throw fail("malformed # TYPE")
                    }
                    let name = String(fields[2])
                    guard types[name] == nil else { throw fail("second # TYPE for \(name)") }
                    guard !samples.contains(where: { Self.family(of: $0.name, types: [name: String(fields[3])]) == name }) else {
                        throw fail("# TYPE after samples of \(name)")
                    }
                    types[name] = String(fields[3])
                } else if fields[1] == "HELP" {
                    guard fields.count >= 3, Self.isMetricName(fields[2]) else { throw fail("malformed # HELP") }
                    guard helped.insert(String(fields[2])).inserted else { throw fail("second # HELP for \(fields[2])") }
                }
                continue
            }
            samples.append(try Self.sample(line, fail: fail))
        }
    }

    /// The samples named `name` whose labels include all of `labels`.
    func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The sum of the matching samples' values (0 when there are none).
    func total(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples(name, labels).reduce(0) { $0 + $1.value }
    }

    /// The family a sample belongs to: histogram and summary samples carry suffixes.
    static func family(of name: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "histogram" || type == "summary" { return base }
        }
        return name
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isMetricName<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == ":" }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    static func isLabelName<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" }
    }

    private static func sample(_ line: Substring, fail: (String) -> ParseError) throws -> Sample {
        var rest = line.unicodeScalars[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(String.UnicodeScalarView(rest[..<nameEnd]))
        guard isMetricName(name) else { throw fail("bad metric name") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw fail("label without =") }
                let labelName = String(String.UnicodeScalarView(rest[..<equals]))
                guard isLabelName(labelName) else { throw fail("bad label name '\(labelName)'") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw fail("unquoted label value") }
                rest = rest.dropFirst()
                var value = String.UnicodeScalarView()
                while true {
                    guard let scalar = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard let escaped = rest.first else { throw fail("dangling escape") }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("unknown escape \\\(escaped)")
                        }
                    } else {
                        value.append(scalar)
                    }
                }
                guard labels.updateValue(String(value), forKey: labelName) == nil else { throw fail("label \(labelName) twice") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or }") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = String(String.UnicodeScalarView(rest)).split(separator: " ")
        guard (1...2).contains(fields.count), let value = parseValue(fields[0]) else { throw fail("bad value") }
        if fields.count == 2 && Int64(fields[1]) == nil { throw fail("bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}

private extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
