#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the socket calls the server makes, each turning `errno` into a
/// `HTTPServerError` or a plain value.
enum Socket {
    /// A non-blocking listening socket bound to `host:port`, with `SO_REUSEADDR` so a restart
    /// does not wait out TIME_WAIT, and dual-stack when `host` is an IPv6 wildcard.
    static func listen(host: String, port: Int, backlog: Int32) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw HTTPServerError.invalidAddress(host: host)
        }
        defer { freeaddrinfo(results) }

        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        var zero: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            if code == EADDRINUSE { throw HTTPServerError.addressInUse(host: host, port: port) }
            if code == EADDRNOTAVAIL { throw HTTPServerError.invalidAddress(host: host) }
            throw HTTPServerError.socketFailure(call: "bind", message: String(cString: strerror(code)))
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = failure("listen")
            close(fd)
            throw error
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, peerAddress(address).port)
    }

    private static func failure(_ call: String) -> HTTPServerError {
        .socketFailure(call: call, message: String(cString: strerror(errno)))
    }

    /// The text form, port and loopback-ness of a socket address.
    static func peerAddress(_ storage: sockaddr_storage) -> (text: String, port: Int, isLoopback: Bool) {
        var storage = storage
        return withUnsafePointer(to: &storage) { pointer -> (String, Int, Bool) in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var address = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    let firstOctet = UInt8(truncatingIfNeeded: UInt32(bigEndian: address.s_addr) >> 24)
                    return (String(cString: text), Int(UInt16(bigEndian: v4.pointee.sin_port)), firstOctet == 127)
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var address = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    let bytes = withUnsafeBytes(of: address) { Array($0) }
                    return (String(cString: text), Int(UInt16(bigEndian: v6.pointee.sin6_port)), isLoopbackIPv6(bytes))
                }
            default:
                return ("", 0, false)
            }
        }
    }

    /// `::1`, or an IPv4-mapped `::ffff:127.x.x.x`.
    static func isLoopbackIPv6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return false }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    /// Turns Nagle off: every response is written in one call, so waiting for an ACK only
    /// adds latency.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// The monotonic clock in nanoseconds, the time base of every deadline.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}
