import Foundation

/// A reader for the YAML subset `openapi.yaml` is written in: block mappings and sequences by
/// indentation, `- key: value` items, plain and quoted scalars, one-line flow collections
/// (`[...]`, `{...}`), literal block scalars (`|`, `|-`) and full-line comments. Anchors,
/// tags, folded scalars, multi-line flow collections and trailing comments are refused.
public enum OpenAPIYAML {
    public struct Unsupported: Error, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "openapi.yaml line \(line): \(reason)" }
    }

    private struct Line {
        var number: Int
        var indent: Int
        var text: String  // without the indentation
    }

    public static func parse(_ source: String) throws -> SpecValue {
        var reader = Reader(lines: source.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, raw in
            let text = String(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            let indent = text.prefix { $0 == " " }.count
            return Line(number: index + 1, indent: indent, text: String(text.dropFirst(indent)))
        })
        reader.skipBlank()
        guard let first = reader.peek else { return .null }
        let value = try reader.node(indent: first.indent)
        reader.skipBlank()
        if let extra = reader.peek { throw Unsupported(line: extra.number, reason: "unexpected indentation") }
        return value
    }

    private struct Reader {
        var lines: [Line]
        var position = 0

        var peek: Line? { position < lines.count ? lines[position] : nil }

        /// Skips empty lines and full-line comments (never inside block scalars, which read raw lines).
        mutating func skipBlank() {
            while let line = peek, line.text.isEmpty || line.text.hasPrefix("#") { position += 1 }
        }

        mutating func node(indent: Int) throws -> SpecValue {
            skipBlank()
            guard let line = peek, line.indent == indent else { return .null }
            return line.text == "-" || line.text.hasPrefix("- ") ? try sequence(indent: indent) : try mapping(indent: indent)
        }

        mutating func sequence(indent: Int) throws -> SpecValue {
            var items: [SpecValue] = []
            while true {
                skipBlank()
                guard let line = peek, line.indent == indent, line.text == "-" || line.text.hasPrefix("- ") else { break }
                let rest = String(line.text.dropFirst(line.text == "-" ? 1 : 2))
                let restIndent = indent + 2 + rest.prefix { $0 == " " }.count
                let trimmed = rest.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    position += 1
                    skipBlank()
                    guard let child = peek, child.indent > indent else { items.append(.null); continue }
                    items.append(try node(indent: child.indent))
                } else if OpenAPIYAML.keySplit(trimmed) != nil && !trimmed.hasPrefix("{") && !trimmed.hasPrefix("[") {
                    // `- key: value`: the item is a mapping whose first line is this one.
                    lines[position] = Line(number: line.number, indent: restIndent, text: trimmed)
                    items.append(try mapping(indent: restIndent))
                } else {
                    position += 1
                    items.append(try OpenAPIYAML.scalarOrFlow(trimmed, line: line.number))
                }
            }
            return .array(items)
        }

        mutating func mapping(indent: Int) throws -> SpecValue {
            var members: [String: SpecValue] = [:]
            while true {
                skipBlank()
                guard let line = peek, line.indent >= indent else { break }
                guard line.indent == indent else { throw Unsupported(line: line.number, reason: "unexpected indentation") }
                guard !line.text.hasPrefix("- ") else { break }
                guard let (rawKey, rawValue) = OpenAPIYAML.keySplit(line.text) else {
                    throw Unsupported(line: line.number, reason: "expected `key: value`")
                }
                let key = try OpenAPIYAML.scalarOrFlow(rawKey, line: line.number)
                let keyText: String
                switch key {
                case .string(let text): keyText = text
                case .integer(let value): keyText = String(value)
                default: throw Unsupported(line: line.number, reason: "keys must be strings")
                }
                guard members[keyText] == nil else { throw Unsupported(line: line.number, reason: "duplicate key \(keyText)") }
                position += 1
                let value = rawValue.trimmingCharacters(in: .whitespaces)
                if value == "|" || value == "|-" {
                    members[keyText] = .string(blockScalar(parentIndent: indent, keepFinalNewline: value == "|"))
                } else if value.hasPrefix(">") {
                    throw Unsupported(line: line.number, reason: "folded block scalars are not in the subset")
                } else if value.isEmpty {
                    skipBlank()
                    if let child = peek, child.indent > indent {
                        members[keyText] = try node(indent: child.indent)
                    } else if let child = peek, child.indent == indent, child.text.hasPrefix("- ") {
                        members[keyText] = try sequence(indent: indent)
                    } else {
                        members[keyText] = .null
                    }
                } else {
                    members[keyText] = try OpenAPIYAML.scalarOrFlow(value, line: line.number)
                }
            }
            return .object(members)
        }

        /// The lines indented deeper than the parent (and blank lines among them), with the
        /// first line's indentation removed.
        mutating func blockScalar(parentIndent: Int, keepFinalNewline: Bool) -> String {
            var collected: [Line] = []
            while let line = peek, line.text.isEmpty || line.indent > parentIndent {
                collected.append(line)
                position += 1
            }
            while let last = collected.last, last.text.isEmpty { collected.removeLast() }
            let base = collected.first?.indent ?? 0
            let text = collected.map { $0.text.isEmpty ? "" : String(repeating: " ", count: $0.indent - base) + $0.text }
                .joined(separator: "\n")
            return keepFinalNewline && !collected.isEmpty ? text + "\n" : text
        }
    }

    /// Splits `key: value` (or `key:`) at the first colon outside quotes that ends the line
    /// or is followed by a space.
    static func keySplit(_ text: String) -> (String, String)? {
        let characters = Array(text)
        var quote: Character?
        var index = 0
        if characters.first == "{" || characters.first == "[" { return nil }
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if character == open {
                    if open == "'" && index + 1 < characters.count && characters[index + 1] == "'" { index += 1 } else { quote = nil }
                } else if open == "\"" && character == "\\" { index += 1 }
            } else if (character == "'" || character == "\"") && index == 0 {
                quote = character
            } else if character == ":" && (index + 1 == characters.count || characters[index + 1] == " ") {
                return (String(characters[..<index]), String(characters[(index + 1)...]))
            }
            index += 1
        }
        return nil
    }

    static func scalarOrFlow(_ text: String, line: Int) throws -> SpecValue {
        var parser = FlowParser(characters: Array(text), line: line)
        let value = try parser.value(inFlow: false)
        parser.skipSpaces()
        guard parser.atEnd else { throw Unsupported(line: line, reason: "trailing text after a value: \(text)") }
        return value
    }

    /// One-line flow values: quoted strings, plain scalars, `[...]`, `{...}`.
    private struct FlowParser {
        let characters: [Character]
        let line: Int
        var index = 0

        var atEnd: Bool { index >= characters.count }

        mutating func skipSpaces() { while !atEnd && characters[index] == " " { index += 1 } }

        mutating func value(inFlow: Bool) throws -> SpecValue {
            skipSpaces()
            guard !atEnd else { return .null }
            switch characters[index] {
            case "[":
                var elements: [SpecValue] = []
                try flowCollection(closing: "]") { parser in elements.append(try parser.value(inFlow: true)) }
                return .array(elements)
            case "{":
                var members: [String: SpecValue] = [:]
                try flowCollection(closing: "}") { parser in
                    guard case .string(let key) = try parser.value(inFlow: true) else {
                        throw Unsupported(line: parser.line, reason: "flow mapping keys must be strings")
                    }
                    parser.skipSpaces()
                    guard !parser.atEnd, parser.characters[parser.index] == ":" else {
                        throw Unsupported(line: parser.line, reason: "expected : after \(key)")
                    }
                    parser.index += 1
                    members[key] = try parser.value(inFlow: true)
                }
                return .object(members)
            case "\"":
                return .string(try doubleQuoted())
            case "'":
                index += 1
                var text = ""
                while true {
                    guard !atEnd else { throw Unsupported(line: line, reason: "unclosed '") }
                    let character = characters[index]
                    index += 1
                    if character == "'" {
                        if !atEnd && characters[index] == "'" { text.append("'"); index += 1 } else { break }
                    } else {
                        text.append(character)
                    }
                }
                return .string(text)
            case "&", "*", "!", "%", "@", "`", ">", "|":
                throw Unsupported(line: line, reason: "\(characters[index]) starts YAML syntax outside the subset")
            default:
                let start = index
                while !atEnd {
                    let character = characters[index]
                    if inFlow && (character == "," || character == "]" || character == "}") { break }
                    if character == ":" && (index + 1 == characters.count || characters[index + 1] == " ") && inFlow { break }
                    if character == "#" && index > start && characters[index - 1] == " " {
                        throw Unsupported(line: line, reason: "trailing comments are not in the subset")
                    }
                    index += 1
                }
                return OpenAPIYAML.plain(String(characters[start..<index]).trimmingCharacters(in: .whitespaces))
            }
        }

        /// Reads a one-line flow collection from its opening bracket to `closing`: the items,
        /// each read by `item`, separated by commas.
        mutating func flowCollection(closing: Character, item: (inout FlowParser) throws -> Void) throws {
            let opening = characters[index]
            index += 1
            skipSpaces()
            if !atEnd && characters[index] == closing { index += 1; return }
            while true {
                try item(&self)
                skipSpaces()
                guard !atEnd else { throw Unsupported(line: line, reason: "unclosed \(opening)") }
                if characters[index] == closing { index += 1; return }
                guard characters[index] == "," else { throw Unsupported(line: line, reason: "expected , or \(closing)") }
                index += 1
            }
        }

        /// A double-quoted scalar with JSON's escapes (the only ones the spec uses).
        mutating func doubleQuoted() throws -> String {
            let start = index
            index += 1
            while !atEnd && characters[index] != "\"" {
                if characters[index] == "\\" { index += 1 }
                index += 1
            }
            guard !atEnd else { throw Unsupported(line: line, reason: "unclosed \"") }
            index += 1
            let literal = String(characters[start..<index])
            guard let decoded = try? JSONDecoder().decode(String.self, from: Data(literal.utf8)) else {
                throw Unsupported(line: line, reason: "escape outside JSON's set in \(literal)")
            }
            return decoded
        }
    }

    /// YAML 1.2 core schema resolution of a plain scalar.
    static func plain(_ text: String) -> SpecValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            if let value = Int64(text) { return .integer(value) }
            if text.contains(where: { $0.isNumber }), !text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }),
               let value = Double(text) { return .number(value) }
            return .string(text)
        }
    }
}
