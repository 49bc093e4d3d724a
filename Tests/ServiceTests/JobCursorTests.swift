import Foundation
@testable import Service
import Testing
import TestSupport

/// `GET /train?cursor=`: every cursor of the documented form names a position, so what the
/// spec calls valid the server accepts (Schemathesis' positive_data_acceptance), and anything
/// else is refused (its negative_data_rejection).
@Suite("Job list cursors")
struct JobCursorTests {
    /// A cursor for an id of `makeID`'s form that names no job lists the jobs older than it;
    /// a cursor of another form that names no job is refused.
    @Test func wellFormedCursorsArePositions() throws {
        let (temporary, store) = try JobStoreTests.store()
        defer { temporary.remove() }
        let ids = (1...4).map { JobStore.makeID(at: RFC3339Date(milliseconds: 1_795_000_000_000 + Int64($0) * 60_000)) }
        for (index, id) in ids.enumerated() { try store.save(JobStoreTests.job(id, createdAt: 1_795_000_000_000 + Int64(index + 1) * 60_000)) }
        let between = String(ids[2].prefix("job-20261118T1109".count)) + "30Z-000000"  // after ids[1], before ids[2]
        let cursor = JobStore.encodeCursor(between)
        #expect(JobStore.isCursorOfMadeID(cursor))
        #expect(try store.page(limit: 10, cursor: cursor).jobs.map(\.id) == [ids[1], ids[0]])
        #expect(try store.page(limit: 10, cursor: JobStore.encodeCursor(ids[3])).jobs.map(\.id) == [ids[2], ids[1], ids[0]])
        let random = "am9iL" + String(repeating: "_", count: 31)
        #expect(try store.page(limit: 10, cursor: random).jobs.count == 4, "bytes past every id: all jobs are older")
        for bad in ["am9iLTQ", "am9iL" + String(repeating: "A", count: 30), "am9iL" + String(repeating: "A", count: 30) + "!"] {
            #expect(throws: JobStoreError.self) { try store.page(limit: 2, cursor: bad) }
        }
    }
}

/// Edge values of `POST /train` the spec calls valid are accepted (Schemathesis' boundary cases).
@Suite("Training request edges")
struct TrainingRequestEdgeTests {
    /// `label_smoothing` is `[0, 1)`: the largest double below 1 is in range, 1 is not.
    @Test func labelSmoothingJustBelowOne() throws {
        let accepted = try TrainingRequest.parse(body: Array(#"{"label_smoothing": 0.9999999999999999}"#.utf8), threads: 1)
        #expect(accepted.configuration.labelSmoothing < 1 && accepted.configuration.labelSmoothing > 0.9999)
        #expect(throws: (any Error).self) { try TrainingRequest.parse(body: Array(#"{"label_smoothing": 1}"#.utf8), threads: 1) }
    }
}
