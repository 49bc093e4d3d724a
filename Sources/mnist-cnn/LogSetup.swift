import Platform
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import JSON
import Logging
import Service
#if canImport(Glibc)
import Glibc
#endif

/// swift-log for the process: human-readable lines on a terminal (or `text`), one JSON object
/// per line with `json`, on stderr.
enum LogSetup {
    static func bootstrap(level: String, format: String) throws -> Logger {
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw CommandFailure("log level '\(level)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        switch format.lowercased() {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: logLevel) }
        default:
            throw CommandFailure("log format '\(format)' is not text or json")
        }
        return Logger(label: "mnist-cnn")
    }
}

/// One JSON object per line: `time`, `level`, `logger`, `message`, and the metadata as fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    /// One line at a time on stderr, whichever thread logs.
    private static let writing = Mutex(())

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": RFC3339Date(Date()).description,
            "level": event.level.rawValue, "logger": label, "message": event.message.description,
        ]
        if let error = event.error { object["error"] = "\(error)" }
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where object[key] == nil {
            object[key] = Self.plain(value)
        }
        var line = ""
        Self.appendJSON(object, to: &line)
        line += "\n"
        Self.writing.withLock { _ in StandardError.write(line) }
    }

    /// The record's tree (strings, arrays, objects with sorted keys) as compact JSON, strings
    /// escaped like the access log lines.
    private static func appendJSON(_ value: Any, to text: inout String) {
        switch value {
        case let object as [String: Any]:
            text += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                JSONText.appendQuoted(key, to: &text)
                text += ":"
                appendJSON(object[key]!, to: &text)
            }
            text += "}"
        case let array as [Any]:
            text += "["
            for (index, element) in array.enumerated() {
                if index > 0 { text += "," }
                appendJSON(element, to: &text)
            }
            text += "]"
        default:
            JSONText.appendQuoted(value as? String ?? "\(value)", to: &text)
        }
    }

    private static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(plain)
        case .dictionary(let dictionary): return dictionary.mapValues(plain)
        }
    }
}

/// The access log written straight to stderr in the process's log format, one `write(2)` per
/// batch: the server's access-log thread hands over every record queued since its last
/// write, so under load thousands of lines cost one system call instead of one each (issue 11:
/// through swift-log the writer thread fell behind at ~30k lines/s and dropped lines).
///
/// The lines look exactly like the ones the bootstrapped handler writes: `text` as
/// swift-log's `StreamLogHandler` (local time, level, label, sorted metadata, source
/// `HTTP1`), `json` as `JSONLogHandler`.
// Unchecked: `second` and `secondText` are only touched by the access log's one writer thread.
final class AccessLogLines: @unchecked Sendable {
    private let json: Bool
    private let level: Logger.Level
    private let label: String
    /// The timestamp prefix of the current second (only the writer thread touches these).
    private var second = -1
    private var secondText = ""

    init(format: String, level: Logger.Level, label: String) {
        json = format.lowercased() == "json"
        self.level = level
        self.label = label
    }

    /// Formats `records` and writes them to stderr.
    func write(_ records: [RequestRecord]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 200)
        for record in records {
            if json {
                var text = ""
                appendJSON(record, to: &text)
                bytes.append(contentsOf: text.utf8)
            } else {
                appendText(record, to: &bytes)
            }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return  // stderr is gone; nothing better to do with an access log.
            }
        }
    }

    /// The text line's prefix for the current second, up to and including "label: " (only the
    /// writer thread touches it).
    private var textPrefix: [UInt8] = []

    /// Appends the text line, `RequestRecord.accessLogMessage` included, piece by piece into
    /// bytes: built as interpolated strings it cost 21 k instructions a line, a sixth of a
    /// lone `/predict` request's work outside the forward pass.
    private func appendText(_ record: RequestRecord, to bytes: inout [UInt8]) {
        let now = time(nil)
        if now != second {
            second = now
            var seconds = now
            var parts = tm()
            localtime_r(&seconds, &parts)
            var buffer = [Int8](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
            textPrefix = buffer[..<length].map { UInt8(bitPattern: $0) } + Array(" \(level) \(label): ".utf8)
        }
        let path = record.loggablePath, duration = record.durationMilliseconds
        func append(_ text: StaticString) { text.withUTF8Buffer { bytes.append(contentsOf: $0) } }
        func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
        func append(_ number: Int) { bytes.append(contentsOf: number.description.utf8) }
        bytes.append(contentsOf: textPrefix)
        append("bytes="); append(record.responseBytes)
        append(" duration_ms="); append(duration)
        append(" method="); append(record.method)
        append(" path="); append(path)
        append(" status="); append(record.status)
        // The message: `GET /path 200 21B 0.123ms`.
        append(" [HTTP1] "); append(record.method)
        append(" "); append(path)
        append(" "); append(record.status)
        append(" "); append(record.responseBytes)
        append("B "); append(duration)
        append("ms\n")
    }

    private func appendJSON(_ record: RequestRecord, to text: inout String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        if now.tv_sec != second {
            second = now.tv_sec
            var seconds = now.tv_sec
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var buffer = [Int8](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
            secondText = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let milliseconds = now.tv_nsec / 1_000_000
        let fraction = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        text += "{\"bytes\":\"\(record.responseBytes)\",\"duration_ms\":\"\(record.durationMilliseconds)\",\"level\":\"\(level)\","
        text += "\"logger\":"
        JSONText.appendQuoted(label, to: &text)
        text += ",\"message\":"
        JSONText.appendQuoted(record.accessLogMessage, to: &text)
        text += ",\"method\":"
        JSONText.appendQuoted(record.method, to: &text)
        text += ",\"path\":"
        JSONText.appendQuoted(record.loggablePath, to: &text)
        text += ",\"status\":\"\(record.status)\",\"time\":\"\(secondText).\(fraction)Z\"}\n"
    }
}
