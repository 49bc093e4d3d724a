import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFile

/// Where the admin token comes from. The contract trusts no client for where it connects from
/// (behind a reverse proxy or a service-mesh sidecar every client is loopback), so there is
/// always a token: the configured one (`--admin-token`, `MNIST_CNN_ADMIN_TOKEN`), or else one
/// generated at first start into `<state-dir>/admin-token` (mode 0600), which every later
/// start and every replica on the same state directory reads, and `mnist-cnn token` prints.
public enum AdminToken {
    /// Where the token in use came from: what the start-up log says (never the token itself).
    public enum Source: Equatable, Sendable, CustomStringConvertible {
        case configured
        /// Read from, or (when `created`) just written to, the state directory's token file.
        case stateFile(path: String, created: Bool)

        public var description: String {
            switch self {
            case .configured: return "configured (--admin-token / MNIST_CNN_ADMIN_TOKEN)"
            case let .stateFile(path, created): return created ? "generated into \(path)" : "read from \(path)"
            }
        }
    }

    /// The shortest token accepted, configured or read from the file.
    public static let minimumLength = 8

    /// The configured token when there is one, otherwise the state directory's token file,
    /// created with a new random token when it does not exist yet. Creation is atomic and
    /// exclusive (`AtomicFile.createIfAbsent`): replicas starting together on one state
    /// directory all end up with the same token.
    /// - Throws: `AdminTokenError` when the file cannot be written or holds no usable token.
    public static func resolve(configured: String?, state: StateDirectory) throws -> (token: String, source: Source) {
        if let configured, !configured.isEmpty { return (configured, .configured) }
        let path = state.adminTokenPath
        let created: Bool
        do {
            created = try AtomicFile.createIfAbsent(Array((generate() + "\n").utf8), at: path, mode: 0o600,
                                                    fileSystem: state.fileSystem)
        } catch {
            throw AdminTokenError.unwritable(path: path, reason: "\(error)")
        }
        return (try read(state: state), .stateFile(path: path, created: created))
    }

    /// The token in the state directory's file (what `mnist-cnn token` prints).
    /// - Throws: `AdminTokenError.missing` / `.unusable`.
    public static func read(state: StateDirectory) throws -> String {
        let path = state.adminTokenPath
        guard let bytes = try? state.read(path) else {
            throw AdminTokenError.missing(path: path)
        }
        guard let text = String(bytes: bytes, encoding: .utf8)?.trimmingWhitespace(),
              text.count >= minimumLength, !text.contains(where: { $0.isWhitespace }) else {
            throw AdminTokenError.unusable(path: path)
        }
        return text
    }

    /// Whether only its owner may read the token file (no group or other permission bits),
    /// as the service creates it; a file someone loosened is worth a warning at start.
    public static func fileIsPrivate(state: StateDirectory) -> Bool {
        var status = stat()
        guard state.fileSystem.status(state.adminTokenPath, &status) == 0 else { return false }
        return status.st_mode & 0o077 == 0
    }

    /// 32 bytes from the system's cryptographic generator (`getrandom` on Linux), as 64 hex digits.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}

public enum AdminTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    case unwritable(path: String, reason: String)
    case missing(path: String)
    case unusable(path: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason):
            return "cannot create the admin token file \(path): \(reason); make the state directory writable "
                + "or configure a token with --admin-token (MNIST_CNN_ADMIN_TOKEN)"
        case .missing(let path):
            return "no admin token at \(path): the service creates it at its first start on this state directory "
                + "(unless a token is configured with --admin-token / MNIST_CNN_ADMIN_TOKEN)"
        case .unusable(let path):
            return "\(path) does not hold a usable admin token (one word of at least \(AdminToken.minimumLength) "
                + "characters); delete it to have a new one generated at the next start"
        }
    }
}
