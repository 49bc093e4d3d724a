import Testing
import Foundation
@testable import HTTP1

/// The shared byte account: reservations are refused past capacity and always given back.
@Suite("MemoryBudget")
struct MemoryBudgetTests {
    /// A reservation past the capacity is refused and counted; one that fits is granted.
    @Test func refusesPastCapacity() {
        let budget = MemoryBudget(capacity: 100)
        let first = budget.reserve(60)
        #expect(first != nil)
        #expect(budget.reserve(41) == nil)
        #expect(budget.refusedCount == 1)
        #expect(budget.reserve(40) != nil)
        #expect(budget.canEverFit(100))
        #expect(!budget.canEverFit(101))
        withExtendedLifetime(first) {}
    }

    /// Dropping a reservation gives its bytes back, so an early exit cannot leak budget.
    @Test func dropGivesBack() {
        let budget = MemoryBudget(capacity: 100)
        do {
            let held = budget.reserve(90)
            #expect(budget.usedBytes == 90)
            withExtendedLifetime(held) {}
        }
        #expect(budget.usedBytes == 0)
    }

    /// Growing past capacity fails without changing the reservation; shrinking and releasing
    /// give back exactly what was held, once.
    @Test func growShrinkRelease() throws {
        let budget = MemoryBudget(capacity: 100)
        let held = try #require(budget.reserve(10))
        #expect(held.grow(by: 50))
        #expect(!held.grow(by: 41))
        #expect(held.bytes == 60 && budget.usedBytes == 60)
        held.shrink(to: 20)
        #expect(budget.usedBytes == 20)
        held.release()
        held.release()
        #expect(budget.usedBytes == 0 && held.bytes == 0)
    }

    /// Many threads reserving and releasing at once never exceed the capacity and end at 0.
    @Test func concurrentUseStaysWithinCapacity() {
        let budget = MemoryBudget(capacity: 1000)
        let peak = NSLock()
        nonisolated(unsafe) var maxSeen = 0
        DispatchQueue.concurrentPerform(iterations: 2000) { index in
            if let held = budget.reserve(1 + index % 300) {
                let now = budget.usedBytes
                peak.lock(); maxSeen = max(maxSeen, now); peak.unlock()
                held.release()
            }
        }
        #expect(maxSeen <= 1000)
        #expect(budget.usedBytes == 0)
    }
}
