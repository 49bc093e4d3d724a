import Platform

/// Why the server could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another socket already listens on the port.
    case addressInUse(host: String, port: Int)
    /// The host is not an address this machine can listen on.
    case invalidAddress(host: String)
    /// A socket call failed; `call` names it, `message` is `strerror(errno)`.
    case socketFailure(call: String, message: String)
    /// `start()` was called twice, or after shutdown.
    case alreadyStarted

    public var description: String {
        switch self {
        case .addressInUse(let host, let port): return "address \(host):\(port) is already in use"
        case .invalidAddress(let host): return "cannot listen on \(host): not a local address"
        case .socketFailure(let call, let message): return "\(call) failed: \(message)"
        case .alreadyStarted: return "the server was already started"
        }
    }
}

extension HTTPServerError {
    /// The start-up failure a failed system call amounts to.
    init(_ error: SystemCallError) {
        self = .socketFailure(call: error.call, message: error.message)
    }

    /// The start-up failure a listener that could not be opened amounts to.
    init(_ error: ListenError) {
        switch error {
        case .invalidAddress(let host): self = .invalidAddress(host: host)
        case .addressInUse(let host, let port): self = .addressInUse(host: host, port: port)
        case .failed(let error): self.init(error)
        }
    }
}
