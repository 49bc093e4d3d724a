/// Inputs kept from fuzzing, each named for what it exercises. Replayed by
/// `HTTPRequestParserFuzzTests.fuzzerRegression`.
enum FuzzRegressions {
    /// A chunk size one hex digit short of overflowing, then junk: must stop at the limit,
    /// not wrap around to a small size.
    static let chunkSizeAtOverflowEdge = Array(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nabc".utf8)

    /// A CR as the very last byte of a slice, with the LF in the next one.
    static let crLfSplitAcrossHead = Array("GET / HTTP/1.1\r\nHost: x\r\n\r".utf8) + [0x0A]

    /// Found by `seededMutations`: a bare LF past the header-size limit was reported as
    /// `bareLineFeed` when the bytes came at once but `headersTooLarge` when they came one by
    /// one. Size limits are now checked before line syntax.
    static let bareLineFeedPastHeaderLimit = Array(
        ("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 340) + "\nvv\r\n\r\n").utf8)

    /// The same race on the request line: a bare LF after more than the request-line limit.
    static let bareLineFeedPastRequestLineLimit = Array(
        ("GET /" + String(repeating: "a", count: 120) + "\nHost: x\r\n\r\n").utf8)

    static let all: [[UInt8]] = [
        chunkSizeAtOverflowEdge, crLfSplitAcrossHead, bareLineFeedPastHeaderLimit, bareLineFeedPastRequestLineLimit,
    ]
}
