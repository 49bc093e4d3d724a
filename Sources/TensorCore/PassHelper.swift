import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A second thread for inference passes: the caller runs one half of the work and the helper
/// the other, if the helper is awake to take it. The halves are a single image's layers, split
/// within each layer (which the batch partitions cannot do), or a batch's two workers.
///
/// Waking a sleeping thread costs tens of microseconds on a virtual machine (35 µs here),
/// as much as half a single-image pass, so the helper keeps polling for `spin` after its last
/// piece of work before it sleeps, and a caller never waits for a sleeping helper: it posts
/// the half, runs its own, and runs the posted half itself too when the helper has not taken
/// it by then (waking the helper for the next layers). A half does the same arithmetic
/// whoever runs it, so answers do not depend on whether or where it ran.
///
/// One caller at a time (a network runs one pass at a time). The thread that serves is the
/// caller's to start (`serve()` is its body), so this module starts no threads of its own.
// @unchecked: `work` is written by the caller before the release store of `posted` and read
// by the helper only after claiming that ticket; every other field is atomic or immutable.
public final class PassHelper: @unchecked Sendable {
    /// How long the helper polls after its last half before it sleeps.
    private let spin: Duration
    /// Number of the last half posted; tickets start at 1.
    private let posted = Atomic<Int>(0)
    /// Number of the last half claimed, by the helper or by the caller taking it back.
    private let claimed = Atomic<Int>(0)
    /// Number of the last half the helper finished.
    private let finished = Atomic<Int>(0)
    private let isSleeping = Atomic<Bool>(false)
    private let isStopped = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    /// The posted work: a pointer to the caller's closure, valid while its `run` lasts.
    private var work: UnsafeRawPointer?

    /// Halves the helper has run (for tests: whether the helper took part).
    public var halvesRun: Int { halvesRunCount.load(ordering: .relaxed) }
    private let halvesRunCount = Atomic<Int>(0)

    /// A helper that polls for `spin` after each piece of work before it sleeps.
    public init(spin: Duration = .microseconds(200)) {
        self.spin = spin
    }

    /// Runs `body(0)` on the calling thread and `body(1)` on the helper, or on the calling
    /// thread after `body(0)` when the helper has not taken it by then; returns when both
    /// have run. The two halves must write disjoint memory.
    public func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                let ticket = posted.load(ordering: .relaxed) + 1
                work = UnsafeRawPointer(pointer)
                posted.store(ticket, ordering: .sequentiallyConsistent)
                if isSleeping.load(ordering: .sequentiallyConsistent) { wakeUp.signal() }
                body(0)
                if claimed.compareExchange(expected: ticket - 1, desired: ticket, ordering: .acquiringAndReleasing).exchanged {
                    body(1)
                } else {
                    while finished.load(ordering: .acquiring) != ticket { sched_yield() }
                }
                work = nil
            }
        }
    }

    /// The helper thread's body: takes posted halves until `stop()`.
    public func serve() {
        // Claimed, not posted: a half posted before this thread began is still to be taken.
        var seen = claimed.load(ordering: .acquiring)
        let clock = ContinuousClock()
        while !isStopped.load(ordering: .relaxed) {
            let spinUntil = clock.now + spin
            var ticket = posted.load(ordering: .acquiring)
            while ticket == seen && clock.now < spinUntil {
                sched_yield()
                ticket = posted.load(ordering: .acquiring)
            }
            if ticket == seen {
                isSleeping.store(true, ordering: .sequentiallyConsistent)
                if posted.load(ordering: .sequentiallyConsistent) == seen && !isStopped.load(ordering: .sequentiallyConsistent) {
                    wakeUp.wait()
                }
                isSleeping.store(false, ordering: .relaxed)
                continue
            }
            seen = ticket
            guard claimed.compareExchange(expected: ticket - 1, desired: ticket, ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            Self.runSecondHalf(work!)
            halvesRunCount.add(1, ordering: .relaxed)
            finished.store(ticket, ordering: .releasing)
        }
    }

    /// Calls the posted closure with 1. Not inlined, so the copy of the closure it takes is
    /// released before `finished` tells the caller its closure may go.
    @inline(never)
    private static func runSecondHalf(_ work: UnsafeRawPointer) {
        work.assumingMemoryBound(to: ((Int) -> Void).self).pointee(1)
    }

    /// Ends `serve()` (at once if it sleeps, else after the half it is running).
    public func stop() {
        isStopped.store(true, ordering: .sequentiallyConsistent)
        wakeUp.signal()
    }
}
