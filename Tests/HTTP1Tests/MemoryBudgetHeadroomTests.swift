import Testing
@testable import HTTP1

/// Large reservations leave headroom: large work cannot take the bytes small requests need.
struct MemoryBudgetHeadroomTests {
    static let mebibyte = 1 << 20

    /// A large reservation must leave an eighth of the budget free; small ones may use it.
    @Test func largeWorkLeavesHeadroom() {
        let budget = MemoryBudget(capacity: 8 * Self.mebibyte)  // headroom: 1 MiB
        let large = budget.reserve(6 * Self.mebibyte)
        #expect(large != nil)
        #expect(budget.reserve(Self.mebibyte + 1) == nil, "large, and would leave less than 1 MiB free")
        #expect(budget.refusedCount == 1)
        let fits = budget.reserve(Self.mebibyte)
        #expect(fits != nil, "small work may use the headroom")
        #expect(budget.usedBytes == 7 * Self.mebibyte)
        withExtendedLifetime((large, fits)) {}
    }

    /// Growing a reservation past the small size applies the same headroom, so a chunked body
    /// that grows cannot take what a fixed-length one could not.
    @Test func growingPastSmallSizeLeavesHeadroom() throws {
        let budget = MemoryBudget(capacity: 8 * Self.mebibyte)
        let held = try #require(budget.reserve(Self.mebibyte))
        #expect(held.grow(by: 6 * Self.mebibyte), "7 MiB leaves exactly the 1 MiB headroom")
        #expect(!held.grow(by: 1), "one byte more would eat into the headroom")
        #expect(!budget.canEverFit(7 * Self.mebibyte + 1))
        #expect(budget.canEverFit(7 * Self.mebibyte))
    }
}
