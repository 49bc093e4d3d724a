import Testing
@testable import HTTP1

/// The connection's life as one enum: the moves it makes, and the ones that would be bugs.
@Suite("HTTPConnection.Phase")
struct HTTPConnectionPhaseTests {
    typealias Phase = HTTPConnection.Phase

    /// Keep-alive to half-closed to closing to closed; closing to lingering; anything to closed.
    @Test func allowedMoves() {
        #expect(Phase.open.canMove(to: .inputEnded))
        #expect(Phase.open.canMove(to: .closingAfterResponse(inputEnded: false)))
        #expect(Phase.inputEnded.canMove(to: .closingAfterResponse(inputEnded: true)))
        #expect(Phase.closingAfterResponse(inputEnded: false).canMove(to: .closingAfterResponse(inputEnded: true)))
        #expect(Phase.closingAfterResponse(inputEnded: false).canMove(to: .lingering))
        for phase: Phase in [.open, .inputEnded, .closingAfterResponse(inputEnded: true), .lingering] {
            #expect(phase.canMove(to: .closed))
        }
    }

    /// Nothing leaves `closed`; input that ended does not come back; a peer that already
    /// closed is not lingered for; a connection does not return to keep-alive.
    @Test func refusedMoves() {
        for next: Phase in [.open, .inputEnded, .lingering, .closed] {
            #expect(!Phase.closed.canMove(to: next))
        }
        #expect(!Phase.inputEnded.canMove(to: .open))
        #expect(!Phase.inputEnded.canMove(to: .closingAfterResponse(inputEnded: false)))
        #expect(!Phase.closingAfterResponse(inputEnded: true).canMove(to: .closingAfterResponse(inputEnded: false)))
        #expect(!Phase.closingAfterResponse(inputEnded: true).canMove(to: .lingering))
        #expect(!Phase.closingAfterResponse(inputEnded: false).canMove(to: .open))
        #expect(!Phase.lingering.canMove(to: .open))
        #expect(!Phase.open.canMove(to: .lingering))
    }
}
