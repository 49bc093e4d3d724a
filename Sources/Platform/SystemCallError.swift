#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed, with its `errno`: what the socket, polling and signal
/// wrappers throw, so callers can both log it and decide on the code.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function that failed, e.g. "epoll_wait".
    public var call: String
    /// The `errno` it left.
    public var code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// The failure of `call` with the current `errno`.
    public static func last(_ call: String) -> SystemCallError {
        SystemCallError(call: call, code: errno)
    }

    /// The C library's message for the code, e.g. "Too many open files".
    public var message: String { String(cString: strerror(code)) }

    public var description: String { "\(call): \(message)" }
}
