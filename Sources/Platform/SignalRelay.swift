import CPlatform
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns process signals into callbacks on a dispatch queue.
///
/// Why not `DispatchSource.makeSignalSource` alone: on Linux libdispatch reads signals from
/// a signalfd, which only sees a signal that is blocked in every thread. A SIGTERM the kernel
/// delivers to some thread that has not blocked it (any thread started before, e.g. by
/// Dispatch or a test runner) is handled there and, with the usual SIG_IGN, silently lost, so
/// the pod never drains. A real `sigaction` handler (in the C shim: it runs in signal
/// context, where Swift code may not) runs on whichever thread receives the signal; it writes
/// the signal number into a pipe, and a dispatch read source on the pipe calls the observers
/// in order, outside signal context.
public final class SignalRelay: Sendable {
    /// The process's relay: signal dispositions are process-wide, so there is one.
    public static let shared = SignalRelay()

    public static let terminate = SIGTERM
    public static let interrupt = SIGINT

    private struct State {
        var observers: [Int32: [@Sendable (Int32) -> Void]] = [:]
        /// Kept alive for as long as the relay: it is what reads the pipe.
        var readSource: (any DispatchSourceRead)?
        var pipeWriteFD: Int32 = -1
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "platform.signals")

    private init() {}

    /// Calls `observer` on the relay's queue each time `number` is received.
    ///
    /// A process may start with the signal blocked (a parent that blocks it passes its mask
    /// on through fork/exec, as some test runners and supervisors do); then SIGTERM would
    /// never arrive and the process would never drain, so the signal is also unblocked on
    /// the calling thread.
    public func observe(_ number: Int32, _ observer: @escaping @Sendable (Int32) -> Void) {
        state.withLock { state in
            if state.readSource == nil { startRelaying(&state) }
            if state.observers[number] == nil {
                _ = cplatform_relay_signal(number, state.pipeWriteFD)
            }
            state.observers[number, default: []].append(observer)
        }
    }

    /// Ignores `number` process-wide (SIGPIPE: writes report EPIPE instead of killing us).
    public static func ignore(_ number: Int32) {
        signal(number, SIG_IGN)
    }

    private func startRelaying(_ state: inout State) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe failed: \(SystemCallError.last("pipe"))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        state.pipeWriteFD = fds[1]
        let readFD = fds[0]
        let source = DispatchSource.makeReadSource(fileDescriptor: readFD, queue: queue)
        source.setEventHandler { [weak self] in
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = read(readFD, &bytes, bytes.count)
            guard count > 0, let self else { return }
            for byte in bytes[0..<count] {
                let number = Int32(byte)
                let current = self.state.withLock { $0.observers[number] ?? [] }
                for observer in current { observer(number) }
            }
        }
        source.resume()
        state.readSource = source
    }
}
