import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A response as `RawHTTPClient` read it off the socket.
public struct RawHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; throws when it is not one.
    public func jsonObject() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw RawHTTPClientError.malformedResponse("body is not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}

public enum RawHTTPClientError: Error, CustomStringConvertible, Sendable {
    case connectFailed(host: String, port: Int, errno: Int32)
    case closedBeforeResponse([UInt8])
    case malformedResponse(String)
    case timedOut

    public var description: String {
        switch self {
        case .connectFailed(let host, let port, let code):
            return "connect to \(host) port \(port) failed: \(String(cString: strerror(code)))"
        case .closedBeforeResponse(let received):
            return "connection closed after \(received.count) bytes, before a whole response"
        case .malformedResponse(let head): return "malformed response: \(head)"
        case .timedOut: return "no response within the read timeout"
        }
    }
}

/// A blocking HTTP/1.1 client over a plain TCP socket, one connection per instance.
///
/// Raw sockets rather than URLSession so a test controls every byte and every pause: pipelined
/// and half-sent requests, a head now and its body after the server began draining, slow or
/// vanishing clients. Responses are read by `Content-Length`, the only framing the server uses.
public final class RawHTTPClient {
    public let port: Int
    /// The socket, for tests that set options or poll it.
    public let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host` (IPv4 or IPv6 literal) on `port`; every read gives up after
    /// `readTimeout` seconds so that no test can hang. `receiveBufferBytes` shrinks the
    /// socket's receive buffer (set before connecting, so the advertised window stays small):
    /// a client that never reads then stalls the server's writes at once.
    public init(port: Int, host: String = "127.0.0.1", readTimeout: Double = 20, receiveBufferBytes: Int32? = nil) throws {
        self.port = port
        let isIPv6 = host.contains(":")
        fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: Int(readTimeout), tv_usec: Int((readTimeout - readTimeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = Self.connect(fd, to: address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = Self.connect(fd, to: address)
        }
        // No close here: every stored property is set, so a throw still runs `deinit`, which
        // closes `fd`; closing it twice could close a descriptor another thread just opened.
        guard result == 0 else { throw RawHTTPClientError.connectFailed(host: host, port: port, errno: errno) }
    }

    deinit {
        Glibc.close(fd)
    }

    /// `connect(2)` to an IPv4 or IPv6 socket address, passed as the generic `sockaddr`.
    private static func connect<Address>(_ fd: Int32, to address: Address) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }

    /// Writes all of `bytes` (or as much as the peer accepts before closing).
    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Closes the sending side only (the server sees EOF but may still answer).
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with an RST instead of a FIN (SO_LINGER 0), like a crashed client.
    public func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// The request head: request line, `Host`, the given headers, `Content-Length` when there
    /// is a body (or `contentLength` when the body is to be sent separately).
    public static func head(method: String, path: String, headers: [(String, String)], contentLength: Int?) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Sends a whole request without waiting for its response (pipelining, concurrency tests).
    /// A POST always declares its body, if only as `Content-Length: 0`.
    public func sendRequest(method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        let hasBody = body != nil || method == "POST"
        send(Self.head(method: method, path: path, headers: headers, contentLength: hasBody ? (body?.count ?? 0) : nil)
             + (body ?? []))
    }

    /// Sends a request and reads its response.
    public func request(method: String, path: String, headers: [(String, String)] = [],
                        body: [UInt8]? = nil) throws -> RawHTTPResponse {
        sendRequest(method: method, path: path, headers: headers, body: body)
        return try readResponse(forHead: method == "HEAD")
    }

    /// `POST` with an optional `Content-Type` (nil sends none, to exercise sniffing).
    public func post(_ path: String = "/predict", contentType: String?, body: [UInt8]) throws -> RawHTTPResponse {
        try request(method: "POST", path: path, headers: contentType.map { [("Content-Type", $0)] } ?? [], body: body)
    }

    public func get(_ path: String) throws -> RawHTTPResponse {
        try request(method: "GET", path: path)
    }

    /// Reads the next response on the connection; `forHead` says the request was HEAD (no
    /// body despite the length).
    public func readResponse(forHead: Bool = false) throws -> RawHTTPResponse {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
                guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
                    throw RawHTTPClientError.malformedResponse(head)
                }
                let headers = lines.compactMap { line -> (name: String, value: String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                var length = 0
                if !(forHead || status == 204 || status == 304 || status < 200) {
                    guard let declared = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "") else {
                        throw RawHTTPClientError.malformedResponse("no Content-Length: " + head)
                    }
                    length = declared
                }
                while buffer.count < end + 4 + length {
                    guard try fill() else { throw RawHTTPClientError.closedBeforeResponse(buffer) }
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return RawHTTPResponse(status: status, headers: headers, body: body)
            }
            guard try fill() else { throw RawHTTPClientError.closedBeforeResponse(buffer) }
        }
    }

    /// Whether the server closed the connection (EOF or reset) with no further bytes.
    public func isClosedByServer() -> Bool {
        do {
            return try !fill() && buffer.isEmpty
        } catch {
            return false
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Reads more bytes; false on EOF or reset, throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw RawHTTPClientError.timedOut }
        return false
    }
}
