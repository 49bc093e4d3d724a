import HTTP1

/// A check of a JSON body's shape that runs before any parser materializes it: a parser
/// builds an object per value and recurses per level, so a 2-million-element array costs
/// hundreds of megabytes and 100,000 levels of nesting can exhaust the stack, while this
/// scan reads the bytes once and allocates nothing.
///
/// It counts values (every array element and object member, the `,`-separated items plus
/// each container) and the nesting depth, skipping the insides of strings. It does not
/// validate the syntax: the parser that runs after it does.
struct JSONShape: Equatable, Sendable {
    /// The deepest nesting of arrays and objects accepted.
    var maxDepth: Int
    /// The most values (containers, elements and members) accepted.
    var maxValues: Int

    /// `nil` when `body` is within the limits; otherwise the problem to answer.
    func problem<Bytes: Sequence<UInt8>>(_ body: Bytes) -> HTTPError? {
        do {
            _ = try values(in: body)
            return nil
        } catch {
            return error
        }
    }

    /// The values `body` holds (what its parser will materialize).
    /// - Throws: the problem to answer when `body` is outside the limits.
    func values<Bytes: Sequence<UInt8>>(in body: Bytes) throws(HTTPError) -> Int {
        var depth = 0, values = 0
        var inString = false, escaped = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                values += 1
                if depth > maxDepth {
                    throw HTTPError(status: 400, title: "JSON nested too deeply",
                                     detail: "the JSON body nests arrays and objects more than \(maxDepth) levels deep")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            case UInt8(ascii: ","):
                values += 1
            default:
                continue
            }
            if values > maxValues {
                throw HTTPError(status: 413, title: "JSON too large",
                                 detail: "the JSON body holds more than \(maxValues) values (array elements and object members)")
            }
        }
        return values
    }
}
