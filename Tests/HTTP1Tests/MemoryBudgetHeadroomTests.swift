import Testing
@testable import HTTP1

/// Reservations that leave headroom: large work cannot take the bytes small requests need.
struct MemoryBudgetHeadroomTests {
    @Test func largeWorkLeavesHeadroom() {
        let budget = MemoryBudget(capacity: 100)
        let large = budget.reserve(60, leaving: 20)
        #expect(large != nil)
        #expect(budget.reserve(21, leaving: 20) == nil, "would leave 19 of the 20 free")
        #expect(budget.refusedCount == 1)
        let fits = budget.reserve(20, leaving: 20)
        #expect(fits != nil, "leaves exactly 20")
        let small = budget.reserve(20)
        #expect(small != nil, "small work may use the headroom")
        #expect(budget.usedBytes == 100)
        withExtendedLifetime((large, fits, small)) {}
    }
}
