/// Size limits the parser enforces; each answers with its own status.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line in bytes, without CRLF (414 beyond).
    public var maxRequestLineLength: Int
    /// Largest header section in bytes, request line excluded (431 beyond).
    public var maxHeaderBytes: Int
    /// Most header lines (431 beyond); also bounds chunked trailers.
    public var maxHeaderCount: Int
    /// Largest body in bytes, declared or received (413 beyond).
    public var maxBodyBytes: Int
    /// Longest chunk-size line including extensions (400 beyond).
    public var maxChunkLineLength: Int

    /// Limits with production defaults (8 KiB request line, 16 KiB headers, 100 header
    /// lines, 16 MiB body).
    public init(
        maxRequestLineLength: Int = 8192,
        maxHeaderBytes: Int = 16384,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 16 << 20,
        maxChunkLineLength: Int = 1024
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineLength = maxChunkLineLength
    }
}
