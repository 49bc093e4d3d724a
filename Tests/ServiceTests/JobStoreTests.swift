import Foundation
import Testing
import TestSupport
import Training
@testable import Service

@Suite struct JobStoreTests {
    static func job(_ id: String, createdAt: Int64) -> TrainingJob {
        TrainingJob(id: id, params: TrainingRequest.serviceDefaults, request: .object(["seed": .integer(createdAt)]),
                    activate: .never, now: RFC3339Date(milliseconds: createdAt))
    }

    static func store() throws -> (TemporaryDirectory, JobStore) {
        let temporary = try TemporaryDirectory(prefix: "mnist-cnn-jobstore")
        let state = StateDirectory(root: temporary.path)
        try state.createDirectories()
        return (temporary, JobStore(directory: state))
    }

    /// Saved jobs, in any state, read back equal from a fresh store.
    @Test func persistenceRoundTrip() throws {
        let (temporary, store) = try Self.store()
        defer { temporary.remove() }
        var running = Self.job("job-b", createdAt: 2_000)
        try running.start(at: RFC3339Date(milliseconds: 3_000))
        running.metrics = []
        try store.save(Self.job("job-a", createdAt: 1_000))
        try store.save(running)
        #expect(FileManager.default.fileExists(atPath: store.directory.jobPath("job-b")))

        let reloaded = JobStore(directory: store.directory)
        #expect(reloaded.load().isEmpty)
        #expect(reloaded.all() == [Self.job("job-a", createdAt: 1_000), running])
    }

    /// Corrupt, half-written, foreign and misnamed files are reported and moved to
    /// quarantine/; good jobs still load and temporary files of interrupted writes are ignored.
    @Test func corruptFilesAreQuarantined() throws {
        let (temporary, store) = try Self.store()
        defer { temporary.remove() }
        try store.save(Self.job("job-good", createdAt: 1_000))
        let full = try JobStore.encoded(Self.job("job-half", createdAt: 2_000))
        let jobs = store.directory.jobsDirectory
        let bad: [String: [UInt8]] = [
            "job-garbage.json": [0xFF, 0x00, 0x13, 0x37],
            "job-half.json": Array(full.prefix(full.count / 2)),
            "job-foreign.json": Array(#"{"hello": "world"}"#.utf8),
            "job-misnamed.json": try JobStore.encoded(Self.job("job-other", createdAt: 3_000)),
        ]
        for (name, bytes) in bad { try Data(bytes).write(to: URL(fileURLWithPath: jobs + "/" + name)) }
        try Data("{".utf8).write(to: URL(fileURLWithPath: jobs + "/.job-x.json.tmp-1-abc"))

        let reloaded = JobStore(directory: store.directory)
        let problems = reloaded.load()
        #expect(reloaded.all().map(\.id) == ["job-good"])
        #expect(Set(problems.map(\.path)) == Set(bad.keys.map { jobs + "/" + $0 }))
        for problem in problems {
            let moved = try #require(problem.quarantinedTo)
            #expect(moved.hasPrefix(store.directory.quarantineDirectory + "/"))
            #expect(FileManager.default.fileExists(atPath: moved))
            #expect(!FileManager.default.fileExists(atPath: problem.path))
        }
        #expect(problems.first { $0.path.hasSuffix("job-foreign.json") }?.reason.contains("missing") == true)
    }

    /// Listing is newest first, `limit` at a time, with an opaque cursor to the next page.
    @Test func pagination() throws {
        let (temporary, store) = try Self.store()
        defer { temporary.remove() }
        for index in 1...5 { try store.save(Self.job("job-\(index)", createdAt: Int64(index) * 1_000)) }
        let first = try store.page(limit: 2, cursor: nil)
        #expect(first.jobs.map(\.id) == ["job-5", "job-4"])
        let cursor = try #require(first.nextCursor)
        #expect(!cursor.contains("job-4"))
        let second = try store.page(limit: 2, cursor: cursor)
        #expect(second.jobs.map(\.id) == ["job-3", "job-2"])
        let last = try store.page(limit: 2, cursor: second.nextCursor)
        #expect(last.jobs.map(\.id) == ["job-1"] && last.nextCursor == nil)
        #expect(try store.page(limit: 5, cursor: nil).nextCursor == nil)
        #expect(throws: JobStoreError.self) { try store.page(limit: 2, cursor: "bm90LWEtam9i") }
        #expect(throws: JobStoreError.self) { try store.page(limit: 2, cursor: "%%%") }
    }

    /// Ids carry the creation time to the second and six hex digits, so they sort by creation.
    @Test func idsSortByCreation() {
        let id = JobStore.makeID(at: RFC3339Date(milliseconds: 1_795_000_000_000))
        #expect(id.hasPrefix("job-20261118T110640Z-"))
        #expect(id.count == "job-20261118T110640Z-".count + 6)
        #expect(id.suffix(6).allSatisfy { $0.isHexDigit })
        #expect(JobStore.makeID(at: RFC3339Date(milliseconds: 1_795_000_001_000)) > id)
    }
}
