/// An ordered list of header fields with case-insensitive lookup.
///
/// Order and duplicates are kept exactly as received (RFC 9110 §5.3: the order of repeated
/// field lines is significant), and names keep the case the peer sent. Lookup compares names
/// ASCII-case-insensitively without allocating lowercased copies.
public struct HTTPHeaders: Sendable, Equatable {
    /// The field lines in order.
    public private(set) var fields: [(name: String, value: String)]

    /// An empty header list.
    public init() {
        fields = []
    }

    /// A header list holding `fields` in the given order.
    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    /// The number of field lines.
    public var count: Int { fields.count }

    /// Whether there are no field lines.
    public var isEmpty: Bool { fields.isEmpty }

    /// The value of the first field called `name`, or nil.
    public subscript(name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The values of every field called `name`, in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// Whether a field called `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Whether some field called `name` lists `token` (comma-separated, case-insensitive),
    /// as used for `Connection: close` or `Connection: keep-alive`.
    public func containsToken(_ token: String, for name: String) -> Bool {
        for value in values(for: name) {
            for element in value.split(separator: ",") {
                let trimmed = element.trimmingOWS()
                if Self.namesEqual(String(trimmed), token) { return true }
            }
        }
        return false
    }

    /// Appends a field line, keeping any existing ones with the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name, value))
    }

    /// Replaces every field called `name` by one with `value` (at the first one's position).
    public mutating func replaceOrAdd(name: String, value: String) {
        if let first = fields.firstIndex(where: { Self.namesEqual($0.name, name) }) {
            fields[first].value = value
            var index = fields.index(after: first)
            while index < fields.endIndex {
                if Self.namesEqual(fields[index].name, name) {
                    fields.remove(at: index)
                } else {
                    index += 1
                }
            }
        } else {
            fields.append((name, value))
        }
    }

    /// Removes every field called `name`.
    public mutating func remove(name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison of two field names.
    /// Native strings (all parsed ones) are compared through their contiguous bytes: the
    /// lookups of a request (about 70) cost a fifth of what iterating the views did.
    static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8, right = rhs.utf8
        guard left.count == right.count else { return false }
        let contiguous = left.withContiguousStorageIfAvailable { left in
            right.withContiguousStorageIfAvailable { right in
                for i in 0..<left.count where left[i] != right[i] {
                    if ASCII.lowercased(left[i]) != ASCII.lowercased(right[i]) { return false }
                }
                return true
            }
        }
        if let contiguous, let equal = contiguous { return equal }
        for (a, b) in zip(left, right) where a != b {
            if ASCII.lowercased(a) != ASCII.lowercased(b) { return false }
        }
        return true
    }
}

extension HTTPHeaders: Sequence {
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    /// A header list from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }
}

extension Substring {
    /// The substring without leading and trailing SP and HTAB (RFC 9110 OWS).
    func trimmingOWS() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
