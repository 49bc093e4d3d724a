import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A mirror on 127.0.0.1 for the downloader's tests, on a raw socket so that it can misbehave
/// exactly: serve files whole or by `Range`, answer 404, cut a transfer short after N bytes,
/// or serve bytes that are not the file. Each connection is one request (`Connection: close`,
/// as the downloader sends). It records the requests it saw.
// Unchecked: the files, plans and requests seen are only touched under `lock`; `thread` is set once, in `start()`.
final class TestMirror: @unchecked Sendable {
    enum Behaviour {
        case serve
        case notFound
        /// Sends the headers for the whole (remaining) file but closes after this many body bytes.
        case truncateAfter(Int)
        /// Sends these bytes instead of the file.
        case corrupt([UInt8])
        /// Ignores `Range` and always sends the whole file with 200.
        case ignoreRange
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var files: [String: [UInt8]]
    /// Per request path, the behaviours for its next requests, in order (then `.serve`).
    private var plans: [String: [Behaviour]] = [:]
    private var seen: [(path: String, range: Int?)] = []
    private var thread: Thread?

    init(files: [String: [UInt8]]) throws {
        self.files = files
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        self.thread = thread
        thread.start()
    }

    /// The URL of this mirror's directory `prefix`.
    func url(_ prefix: String = "mnist/") -> String { "http://127.0.0.1:\(port)/\(prefix)" }

    func plan(_ path: String, _ behaviours: [Behaviour]) { lock.withLock { plans[path] = behaviours } }

    /// The requests served so far: path and the `Range` start, if any.
    var requests: [(path: String, range: Int?)] { lock.withLock { seen } }

    /// Closes the listening socket; the accept loop then ends.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            head += chunk.prefix(count)
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let path = lines[0].split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let range = lines.first { $0.lowercased().hasPrefix("range: bytes=") }
            .flatMap { Int($0.dropFirst("range: bytes=".count).dropLast()) }
        let (file, behaviour) = lock.withLock { () -> ([UInt8]?, Behaviour) in
            seen.append((path, range))
            var queue = plans[path] ?? []
            let next = queue.isEmpty ? Behaviour.serve : queue.removeFirst()
            plans[path] = queue
            return (files[String(path.split(separator: "/").last ?? "")], next)
        }
        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { return }
                offset += sent
            }
        }
        guard let file else {
            send(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        switch behaviour {
        case .notFound:
            send(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        case .corrupt(let bytes):
            send(Array("HTTP/1.1 200 OK\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n".utf8) + bytes)
        case .serve, .truncateAfter, .ignoreRange:
            var body = file[...]
            var status = "200 OK"
            var honoursRange = true
            if case .ignoreRange = behaviour { honoursRange = false }
            if honoursRange, let range, range < file.count {
                body = file[range...]
                status = "206 Partial Content"
            }
            send(Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8))
            if case .truncateAfter(let limit) = behaviour {
                send(Array(body.prefix(limit)))
            } else {
                send(Array(body))
            }
        }
    }
}
