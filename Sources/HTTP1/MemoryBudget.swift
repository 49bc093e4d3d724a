import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One process-wide account of the bytes that request work holds: buffered bodies, decoded
/// images, normalized batches, queued inference input.
///
/// Work asks for its bytes *before* allocating them and gets a `MemoryReservation` back, or
/// `nil` when the budget cannot take it now. A caller tells the two refusals apart with
/// `canEverFit(_:)`: a request that could never fit is the client's problem (413); one that
/// does not fit now is load (503 with `Retry-After`). Reservations release exactly once, on
/// `release()` or when dropped, so an early return or a thrown error cannot leak budget.
public final class MemoryBudget: @unchecked Sendable {
    /// The bytes the budget allows in flight at once.
    public let capacity: Int
    private let lock = Lock()
    private var used = 0
    private var refusals = 0

    /// A budget of `capacity` bytes (at least 1).
    public init(capacity: Int) {
        precondition(capacity > 0, "a memory budget needs a positive capacity")
        self.capacity = capacity
    }

    /// Reservations up to this size are small: what a well-behaved request (a digit, a batch
    /// of them) needs. A reservation larger than this must leave `capacity / 8` free for the
    /// small ones, so a crowd of large bodies or decodes cannot starve ordinary clients.
    public static let smallReservationBytes = 1 << 20

    /// The bytes that must stay free after a reservation of `total` bytes.
    func headroom(forTotal total: Int) -> Int {
        total > Self.smallReservationBytes ? capacity / 8 : 0
    }

    /// Reserves `bytes`, or returns `nil` (and counts a refusal) when that would exceed the
    /// capacity, or eat into the headroom small requests keep. Reserving 0 bytes always succeeds.
    public func reserve(_ bytes: Int) -> MemoryReservation? {
        precondition(bytes >= 0, "cannot reserve a negative size")
        guard take(more: bytes, total: bytes) else { return nil }
        return MemoryReservation(budget: self, bytes: bytes)
    }

    /// Whether a reservation of `bytes` could succeed on an otherwise idle process.
    public func canEverFit(_ bytes: Int) -> Bool { bytes <= capacity - headroom(forTotal: bytes) }

    /// The bytes reserved now.
    public var usedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return used
    }

    /// How many reservations were refused since start.
    public var refusedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return refusals
    }

    fileprivate func give(back bytes: Int) {
        lock.lock()
        used -= bytes
        lock.unlock()
    }

    /// Adds `bytes` to the account for a reservation that will then hold `total`.
    fileprivate func take(more bytes: Int, total: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= capacity - used - headroom(forTotal: total) else {
            refusals += 1
            return false
        }
        used += bytes
        return true
    }
}

/// Bytes held against a `MemoryBudget`; given back once, on `release()` or on deinit.
public final class MemoryReservation: @unchecked Sendable {
    private let budget: MemoryBudget
    private let lock = Lock()
    private var held: Int

    fileprivate init(budget: MemoryBudget, bytes: Int) {
        self.budget = budget
        self.held = bytes
    }

    /// The bytes this reservation holds now.
    public var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return held
    }

    /// Grows the reservation by `bytes` if the budget has room; `false` leaves it unchanged.
    public func grow(by bytes: Int) -> Bool {
        precondition(bytes >= 0, "cannot grow by a negative size")
        lock.lock()
        defer { lock.unlock() }
        guard budget.take(more: bytes, total: held + bytes) else { return false }
        held += bytes
        return true
    }

    /// Gives back all but `bytes` (when the work turned out smaller than reserved).
    public func shrink(to bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard bytes < held else { return }
        budget.give(back: held - max(0, bytes))
        held = max(0, bytes)
    }

    /// Gives every byte back; later calls do nothing.
    public func release() { shrink(to: 0) }

    deinit { if held > 0 { budget.give(back: held) } }
}
