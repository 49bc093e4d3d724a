import Dispatch
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe, read by the C signal handler below. A plain global so
/// the handler touches nothing but a 4-byte load and `write`, both async-signal-safe.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// Turns process signals into callbacks on a dispatch queue.
///
/// Why not `DispatchSource.makeSignalSource` alone: on Linux libdispatch reads signals from
/// a signalfd, which only sees a signal that is blocked in every thread. A SIGTERM the kernel
/// delivers to some thread that has not blocked it (any thread started before, e.g. by
/// Dispatch or a test runner) is handled there and, with the usual SIG_IGN, silently lost, so
/// the pod never drains. A real `sigaction` handler runs whichever thread receives the signal;
/// it writes the signal number into a pipe, and a dispatch read source on the pipe calls the
/// observers in order, outside signal context.
final class SignalRelay: @unchecked Sendable {
    static let shared = SignalRelay()

    private let lock = Lock()
    private var observers: [Int32: [@Sendable (Int32) -> Void]] = [:]
    private var readSource: DispatchSourceRead?
    private let queue = DispatchQueue(label: "http1.signals")

    /// Calls `observer` on the relay's queue each time `number` is received.
    func observe(_ number: Int32, _ observer: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        startIfNeeded()
        if observers[number] == nil {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteFD, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(SA_RESTART)
            sigaction(number, &action, nil)
            // A process may start with the signal blocked (a parent that blocks it passes its
            // mask on through fork/exec, as some test runners and supervisors do); then SIGTERM
            // would never arrive and the process would never drain. Unblock it on this thread.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, number)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        }
        observers[number, default: []].append(observer)
    }

    private func startIfNeeded() {
        guard readSource == nil else { return }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        signalPipeWriteFD = fds[1]
        let readFD = fds[0]
        let source = DispatchSource.makeReadSource(fileDescriptor: readFD, queue: queue)
        source.setEventHandler { [weak self] in
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = read(readFD, &bytes, bytes.count)
            guard count > 0, let self else { return }
            for byte in bytes[0..<count] {
                let number = Int32(byte)
                self.lock.lock()
                let current = self.observers[number] ?? []
                self.lock.unlock()
                for observer in current { observer(number) }
            }
        }
        source.resume()
        readSource = source
    }
}
