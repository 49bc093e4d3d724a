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
