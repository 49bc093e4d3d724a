import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A response as `ServiceClient` read it off the socket.
struct ServiceResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first header named `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; throws when it is not one.
    func jsonObject() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ServiceClientError.malformedResponse("body is not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}

enum ServiceClientError: Error, CustomStringConvertible {
    case connectFailed(port: Int, errno: Int32)
    case closedBeforeResponse(received: Int)
    case malformedResponse(String)
    case timedOut

    var description: String {
        switch self {
        case .connectFailed(let port, let code): return "connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(code)))"
        case .closedBeforeResponse(let received): return "connection closed after \(received) bytes, before a whole response"
        case .malformedResponse(let head): return "malformed response: \(head)"
        case .timedOut: return "no response within the read timeout"
        }
    }
}

/// A blocking HTTP/1.1 client over a plain TCP socket to 127.0.0.1, one keep-alive connection
/// per instance.
///
/// Raw sockets rather than URLSession so a test controls every byte and every pause: send the
/// head of a request now and its body after the server began draining, keep several requests
/// outstanding on separate connections, or read a response the server marks
/// `Connection: close`. The server always frames responses with `Content-Length`, so that is
/// the only framing read here.
final class ServiceClient {
    let port: Int
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects; every read gives up after `readTimeout` seconds so that no test can hang.
    init(port: Int, readTimeout: Double = 20) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: Int(readTimeout), tv_usec: Int((readTimeout - readTimeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close here: a throw after every stored property is set still runs `deinit`,
        // which closes `fd`; closing it twice could close a descriptor another thread opened.
        guard result == 0 else { throw ServiceClientError.connectFailed(port: port, errno: errno) }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Writes all of `bytes` (or as much as the peer accepts before closing).
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// The request head: request line, `Host`, the given headers, `Content-Length` when there
    /// is a body (or `contentLength` when the body is to be sent separately).
    static func head(method: String, path: String, headers: [(String, String)], contentLength: Int?) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Sends a whole request without waiting for its response (pipelining, concurrency tests).
    func sendRequest(method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        let hasBody = body != nil || method == "POST"
        send(Self.head(method: method, path: path, headers: headers, contentLength: hasBody ? (body?.count ?? 0) : nil)
             + (body ?? []))
    }

    /// Sends a request and reads its response.
    func request(method: String, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) throws -> ServiceResponse {
        sendRequest(method: method, path: path, headers: headers, body: body)
        return try readResponse()
    }

    /// `POST` with an optional `Content-Type` (nil sends none, to exercise sniffing).
    func post(_ path: String = "/predict", contentType: String?, body: [UInt8]) throws -> ServiceResponse {
        try request(method: "POST", path: path, headers: contentType.map { [("Content-Type", $0)] } ?? [], body: body)
    }

    func get(_ path: String) throws -> ServiceResponse {
        try request(method: "GET", path: path)
    }

    /// Reads the next response on the connection.
    func readResponse() throws -> ServiceResponse {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
                guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
                    throw ServiceClientError.malformedResponse(head)
                }
                let headers = lines.compactMap { line -> (name: String, value: String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                guard let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "") else {
                    throw ServiceClientError.malformedResponse("no Content-Length: " + head)
                }
                while buffer.count < end + 4 + length {
                    guard try fill() else { throw ServiceClientError.closedBeforeResponse(received: buffer.count) }
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return ServiceResponse(status: status, headers: headers, body: body)
            }
            guard try fill() else { throw ServiceClientError.closedBeforeResponse(received: buffer.count) }
        }
    }

    /// Whether the server closed the connection (EOF with nothing more to read).
    func isClosedByPeer() -> Bool {
        (try? fill()) == false
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
        if errno == EAGAIN || errno == EWOULDBLOCK { throw ServiceClientError.timedOut }
        return false
    }
}
