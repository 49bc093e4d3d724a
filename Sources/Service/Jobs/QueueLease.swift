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
import Synchronization

/// The right to run the training queue of a state directory: an exclusive `flock(2)` on
/// `<state-dir>/queue.lock`, held for the life of the process.
///
/// Exactly one process at a time holds it, so exactly one recovers, re-queues, runs jobs,
/// deletes temporary files and quarantines; every other process on the same directory only
/// reads. The kernel drops the lock when its holder dies (even by SIGKILL or the OOM killer),
/// so a standby that polls `tryAcquire()` takes over without any timeout to tune. The lock is
/// on an open file description, so two `QueueLease`s in one process exclude each other too.
///
/// Shared file systems: Linux NFS (v4, and v3 with lockd) maps `flock` to NFS byte-range locks,
/// which the server enforces across clients, as do CephFS and local file systems; a mount
/// without working locks (NFS with `nolock`/`local_lock=all`, most FUSE object-store mounts)
/// would let two owners in, so such a volume needs exactly one process with training data.
public final class QueueLease: Sendable {
    public let path: String
    /// The locked file's descriptor while the lease is held, -1 otherwise.
    private let descriptor = Mutex<Int32>(-1)

    public init(path: String) { self.path = path }

    deinit { release() }

    /// Whether this process holds the lease.
    public var isHeld: Bool { descriptor.withLock { $0 >= 0 } }

    /// Takes the lease if nobody holds it; never blocks.
    /// - Returns: whether this process holds it now.
    @discardableResult
    public func tryAcquire() -> Bool {
        descriptor.withLock { descriptor in
            if descriptor >= 0 { return true }
            let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else { return false }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                close(opened)
                return false
            }
            descriptor = opened
            // Who holds it, for an operator reading the file; the lock itself is the truth.
            let holder = Array("pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n".utf8)
            if ftruncate(opened, 0) == 0 { _ = holder.withUnsafeBytes { write(opened, $0.baseAddress, $0.count) } }
            return true
        }
    }

    /// Gives the lease up (at shutdown; the kernel also does it when the process dies).
    public func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }
}
