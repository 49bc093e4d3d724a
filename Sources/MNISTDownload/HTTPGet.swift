import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 GET over a plain socket, streaming the body to a callback: enough to
/// fetch a file, resume it with `Range`, and follow redirects.
///
/// Why not URLSession: on Linux it lives in FoundationNetworking, which links libcurl into the
/// binary; the release binary is built with the Swift runtime static and runs in a slim image
/// that has no libcurl. Why plain `http` is enough: every file is checked against a pinned
/// SHA-256 before it is used, so a mirror (or anything between) cannot change what is kept.
public enum HTTPGet {
    public struct Response {
        public var status: Int
        public var headers: [String: String]
        /// `Content-Length`, when the server sent one.
        public var contentLength: Int?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case badURL(String)
        case unsupportedScheme(String)
        case connectFailed(String)
        case malformedResponse(String)
        /// The connection closed before `Content-Length` bytes arrived.
        case truncated(received: Int, expected: Int)
        case tooManyRedirects

        public var description: String {
            switch self {
            case .badURL(let url): return "not an http URL: \(url)"
            case .unsupportedScheme(let url):
                return "\(url): only http:// mirrors are supported (files are verified by SHA-256, so TLS adds no integrity)"
            case .connectFailed(let reason): return "cannot connect: \(reason)"
            case .malformedResponse(let reason): return "malformed response: \(reason)"
            case let .truncated(received, expected): return "connection closed after \(received) of \(expected) bytes"
            case .tooManyRedirects: return "too many redirects"
            }
        }
    }

    /// GETs `url` (following up to 5 redirects) and passes the body of the final response to
    /// `body` as it arrives, after `head` has seen the status and headers (bodies of redirects
    /// and errors are not passed). `range` asks for the bytes from that offset on.
    /// - Throws: `Failure`, or whatever `head` or `body` throw.
    public static func get(_ url: String, rangeFrom range: Int? = nil, timeoutSeconds: Double = 30,
                           head: (Response) throws -> Void, body: ([UInt8]) throws -> Void) throws {
        var current = url
        for _ in 0..<6 {
            let target = try Target(current)
            let socket = try openConnection(host: target.host, port: target.port, timeoutSeconds: timeoutSeconds)
            defer { close(socket) }
            var request = "GET \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: mnist-cnn\r\n"
                + "Accept-Encoding: identity\r\nConnection: close\r\n"
            if let range, range > 0 { request += "Range: bytes=\(range)-\r\n" }
            request += "\r\n"
            try sendAll(socket, Array(request.utf8))

            var reader = Reader(socket: socket)
            let response = try reader.readHead()
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.headers["location"] {
                current = location.hasPrefix("/") ? "http://\(target.hostHeader)\(location)" : location
                continue
            }
            try head(response)
            guard response.status / 100 == 2 else { return }
            if response.headers["transfer-encoding"].map({ $0.lowercased() != "identity" }) ?? false {
                throw Failure.malformedResponse("chunked transfer coding is not supported for file downloads")
            }
            var received = 0
            while response.contentLength.map({ received < $0 }) ?? true {
                let chunk = try reader.readSome()
                if chunk.isEmpty { break }
                let wanted = response.contentLength.map { min(chunk.count, $0 - received) } ?? chunk.count
                received += wanted
                try body(Array(chunk.prefix(wanted)))
            }
            if let expected = response.contentLength, received < expected {
                throw Failure.truncated(received: received, expected: expected)
            }
            return
        }
        throw Failure.tooManyRedirects
    }

    struct Target {
        var host: String
        var port: Int
        var path: String
        var hostHeader: String

        init(_ url: String) throws {
            if url.lowercased().hasPrefix("https://") { throw Failure.unsupportedScheme(url) }
            guard url.lowercased().hasPrefix("http://") else { throw Failure.badURL(url) }
            let rest = url.dropFirst("http://".count)
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
            hostHeader = String(authority)
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : 80
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                port = Int(authority[authority.index(after: colon)...]) ?? -1
            } else {
                host = String(authority)
                port = 80
            }
            guard !host.isEmpty, (1...65535).contains(port) else { throw Failure.badURL(url) }
        }
    }

    private static func openConnection(host: String, port: Int, timeoutSeconds: Double) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure.connectFailed("\(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard descriptor >= 0 else { lastError = String(cString: strerror(errno)); continue }
            let wholeSeconds = timeoutSeconds.rounded(.down)
            var timeout = timeval(tv_sec: time_t(wholeSeconds), tv_usec: suseconds_t((timeoutSeconds - wholeSeconds) * 1e6))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return descriptor }
            lastError = "\(host):\(port): \(String(cString: strerror(errno)))"
            close(descriptor)
        }
        throw Failure.connectFailed(lastError)
    }

    private static func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure.connectFailed("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    private struct Reader {
        let socket: Int32
        var buffered: [UInt8] = []

        /// Up to 64 KiB; empty at the end of the stream.
        mutating func readSome() throws -> [UInt8] {
            if !buffered.isEmpty {
                defer { buffered = [] }
                return buffered
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                throw Failure.connectFailed(errno == EAGAIN ? "timed out waiting for data" : String(cString: strerror(errno)))
            }
            return Array(chunk.prefix(count))
        }

        /// The status line and headers; what follows them stays in `buffered`.
        mutating func readHead() throws -> Response {
            var data: [UInt8] = []
            while true {
                if let end = Self.headEnd(data) {
                    buffered = Array(data[(end + 4)...])
                    return try Self.parseHead(Array(data[..<end]))
                }
                guard data.count < 65536 else { throw Failure.malformedResponse("header section over 64 KiB") }
                let chunk = try readSome()
                guard !chunk.isEmpty else { throw Failure.malformedResponse("connection closed before the response head") }
                data += chunk
            }
        }

        static func headEnd(_ data: [UInt8]) -> Int? {
            guard data.count >= 4 else { return nil }
            for i in 0...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
                return i
            }
            return nil
        }

        static func parseHead(_ bytes: [UInt8]) throws -> Response {
            let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ", maxSplits: 2)
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
                throw Failure.malformedResponse("status line '\(lines[0].prefix(80))'")
            }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingWhitespace(newlines: false)
            }
            var length: Int?
            if let text = headers["content-length"] {
                guard let value = Int(text), value >= 0 else { throw Failure.malformedResponse("Content-Length '\(text)'") }
                length = value
            }
            return Response(status: status, headers: headers, contentLength: length)
        }
    }
}
