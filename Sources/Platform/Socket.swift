import CPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a listening socket could not be opened.
public enum ListenError: Error, Sendable, Equatable {
    /// `host` is not an address of this machine (or not an address at all).
    case invalidAddress(host: String)
    /// Another socket holds `host:port`.
    case addressInUse(host: String, port: Int)
    case failed(SystemCallError)
}

/// What a non-blocking `send` or `recv` did.
public enum SocketTransfer: Equatable {
    /// This many bytes (more than 0) moved.
    case bytes(Int)
    /// `recv` only: the peer closed its sending side.
    case endOfStream
    /// The socket's buffer is full (send) or empty (recv): wait for the poller.
    case wouldBlock
    /// Reset, broken pipe and the like: the connection is over.
    case failed(Int32)
}

/// What a non-blocking `accept` did.
public enum AcceptOutcome {
    case accepted(fd: Int32, peer: SocketAddress)
    /// Nothing (more) is waiting.
    case noneWaiting
    /// A connection that was aborted before we took it, or an interruption: try again.
    case retry
    /// The process or system is out of descriptors (EMFILE, ENFILE).
    case outOfDescriptors(Int32)
    /// The kernel is out of memory for sockets (ENOBUFS, ENOMEM).
    case outOfMemory(Int32)
    case failed(Int32)
}

/// A peer's address as the server logs and trusts it.
public struct SocketAddress: Sendable, Equatable {
    /// "127.0.0.1" or "::1"; empty for a family other than IPv4 and IPv6.
    public var text: String
    public var port: Int
    /// 127.0.0.0/8, `::1`, or IPv4-mapped `::ffff:127.x.x.x`.
    public var isLoopback: Bool
}

/// Thin wrappers over the socket calls a server makes, each turning `errno` into a value.
public enum Socket {
    /// A non-blocking listening socket bound to `host:port`, with `SO_REUSEADDR` so a restart
    /// does not wait out TIME_WAIT, and dual-stack when `host` is an IPv6 wildcard. Returns
    /// the descriptor and the bound port (the one picked when `port` is 0).
    public static func listen(host: String, port: Int, backlog: Int32) throws(ListenError) -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw .invalidAddress(host: host)
        }
        defer { freeaddrinfo(results) }

        let fd = cplatform_stream_socket(info.pointee.ai_family)
        guard fd >= 0 else { throw .failed(.last("socket")) }
        var one: Int32 = 1
        var zero: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            _ = systemClose(fd)
            if code == EADDRINUSE { throw .addressInUse(host: host, port: port) }
            if code == EADDRNOTAVAIL { throw .invalidAddress(host: host) }
            throw .failed(SystemCallError(call: "bind", code: code))
        }
        guard systemListen(fd, backlog) == 0 else {
            let error = SystemCallError.last("listen")
            _ = systemClose(fd)
            throw .failed(error)
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, address(of: bound).port)
    }

    /// Takes one pending connection off `listenFD`, already non-blocking and close-on-exec.
    public static func accept(_ listenFD: Int32) -> AcceptOutcome {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = cplatform_accept(listenFD, &address, &length)
        if fd >= 0 { return .accepted(fd: fd, peer: Socket.address(of: address)) }
        let code = errno
        switch code {
        case EAGAIN, EWOULDBLOCK: return .noneWaiting
        case EINTR, ECONNABORTED, EPROTO: return .retry
        case EMFILE, ENFILE: return .outOfDescriptors(code)
        case ENOBUFS, ENOMEM: return .outOfMemory(code)
        default: return .failed(code)
        }
    }

    /// Reads what is available into `buffer`.
    @inline(__always)
    public static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> SocketTransfer {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfStream }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(code)
        }
    }

    /// Writes what the socket buffer takes of `bytes`, never raising SIGPIPE.
    @inline(__always)
    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> SocketTransfer {
        while true {
            let count = systemSend(fd, bytes.baseAddress, bytes.count, noSignal)
            if count > 0 { return .bytes(count) }
            let code = errno
            if count < 0 && code == EINTR { continue }
            if count < 0 && (code == EAGAIN || code == EWOULDBLOCK) { return .wouldBlock }
            return .failed(code)
        }
    }

    /// Shuts the sending side: the peer reads end-of-stream after what was sent.
    public static func shutdownSending(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    public static func close(_ fd: Int32) {
        _ = systemClose(fd)
    }

    /// The text form, port and loopback-ness of a socket address.
    public static func address(of storage: sockaddr_storage) -> SocketAddress {
        var storage = storage
        return withUnsafePointer(to: &storage) { pointer -> SocketAddress in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var address = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    let firstOctet = UInt8(truncatingIfNeeded: UInt32(bigEndian: address.s_addr) >> 24)
                    return SocketAddress(text: Self.string(text), port: Int(UInt16(bigEndian: v4.pointee.sin_port)),
                                         isLoopback: firstOctet == 127)
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var address = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    let bytes = withUnsafeBytes(of: address) { Array($0) }
                    return SocketAddress(text: Self.string(text), port: Int(UInt16(bigEndian: v6.pointee.sin6_port)),
                                         isLoopback: isLoopbackIPv6(bytes))
                }
            default:
                return SocketAddress(text: "", port: 0, isLoopback: false)
            }
        }
    }

    /// The text of a NUL-terminated C buffer.
    private static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `::1`, or an IPv4-mapped `::ffff:127.x.x.x`.
    public static func isLoopbackIPv6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return false }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    /// Turns Nagle off: every response is written in one call, so waiting for an ACK only
    /// adds latency.
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #elseif canImport(Musl)
    private static let streamType = SOCK_STREAM
    private static let noSignal = MSG_NOSIGNAL
    #elseif canImport(Darwin)
    private static let streamType = SOCK_STREAM
    private static let noSignal: Int32 = 0  // Darwin has SO_NOSIGPIPE instead; SIGPIPE is ignored.
    #endif

    @inline(__always)
    private static func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.listen(fd, backlog)
        #elseif canImport(Musl)
        Musl.listen(fd, backlog)
        #elseif canImport(Darwin)
        Darwin.listen(fd, backlog)
        #endif
    }

    @inline(__always)
    private static func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
        #if canImport(Glibc)
        Glibc.send(fd, bytes, count, flags)
        #elseif canImport(Musl)
        Musl.send(fd, bytes, count, flags)
        #elseif canImport(Darwin)
        Darwin.send(fd, bytes, count, flags)
        #endif
    }
}
