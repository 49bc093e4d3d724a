import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFile
import Synchronization

/// Every job, in memory and one file each at `<state-dir>/jobs/<id>.json`.
///
/// Thread-safe: the HTTP handlers read it while the queue's runner updates the job it trains.
/// Each `save` replaces the job's file atomically, so a crash at any point leaves every file
/// either as it was or as it became. Only the queue owner saves; a process that does not own
/// the queue calls `load(setAside: false)` again and again to show what the owner wrote.
public final class JobStore: Sendable {
    public let directory: StateDirectory
    /// The jobs by id, as last loaded or saved.
    private let jobs = Mutex<[String: TrainingJob]>([:])

    public init(directory: StateDirectory) {
        self.directory = directory
    }

    /// Reads every job file. A file that does not parse as a job, or whose name does not match
    /// its id, is returned as a problem and, when `setAside` (only the queue owner may), moved
    /// to `quarantine/`; one that cannot be read (EIO, EMFILE) is returned as a problem and left
    /// where it is; the rest load.
    public func load(setAside: Bool = true) -> [StateProblem] {
        var loaded: [String: TrainingJob] = [:]
        var problems: [StateProblem] = []
        let decoder = JSONDecoder()
        func reject(_ path: String, _ reason: String) {
            problems.append(setAside ? directory.quarantine(path, reason: reason)
                                     : StateProblem(path: path, reason: reason, quarantinedTo: nil))
        }
        for name in directory.files(in: directory.jobsDirectory, suffix: ".json") {
            let path = directory.jobsDirectory + "/" + name
            do {
                let job = try decoder.decode(TrainingJob.self, from: Data(try directory.read(path)))
                guard name == job.id + ".json" else {
                    reject(path, "holds job \(job.id), not the job its name says")
                    continue
                }
                loaded[job.id] = job
            } catch let error as DecodingError {
                reject(path, "not a readable job file (\(Self.describe(error)))")
            } catch let error as FileError where error.code == ENOENT {
                continue  // gone between listing and reading: not a problem
            } catch {
                // An I/O failure says nothing about the content: reported, never set aside.
                problems.append(StateProblem(path: path, reason: "could not be read (\(error)); left in place",
                                             quarantinedTo: nil))
            }
        }
        jobs.withLock { $0 = loaded }
        return problems
    }

    /// Writes `job` to its file and keeps it in memory. The file is written first, so memory
    /// never shows a state that a crash would lose.
    public func save(_ job: TrainingJob) throws {
        try directory.write(try Self.encoded(job), to: directory.jobPath(job.id))
        jobs.withLock { $0[job.id] = job }
    }

    /// Updates the job in memory only (frequent progress); a later `save` persists it.
    public func update(_ job: TrainingJob) {
        jobs.withLock { $0[job.id] = job }
    }

    public func job(_ id: String) -> TrainingJob? {
        jobs.withLock { $0[id] }
    }

    /// Every job, oldest first (creation time, then id).
    public func all() -> [TrainingJob] {
        jobs.withLock { Array($0.values) }.sorted(by: Self.isOlder)
    }

    /// One page of `GET /train`: newest first.
    public struct Page: Sendable {
        public var jobs: [TrainingJob]
        /// Pass as `cursor` for the next page; nil on the last page.
        public var nextCursor: String?
    }

    /// Up to `limit` jobs, newest first, after the position `cursor` names.
    ///
    /// A cursor is a job id (base64url). One whose job has since gone, or any cursor of the
    /// form handed out for real ids (`isCursorOfMadeID`, what openapi.yaml documents), still names
    /// a position: the jobs older than that id (ids sort by creation time).
    /// - Throws: `JobStoreError.invalidCursor` for anything else.
    public func page(limit: Int, cursor: String?) throws -> Page {
        var remaining = Array(all().reversed())
        if let cursor {
            guard let after = Self.decodeCursor(cursor) else { throw JobStoreError.invalidCursor(cursor) }
            if let index = remaining.firstIndex(where: { Array($0.id.utf8) == after }) {
                remaining.removeFirst(index + 1)
            } else if Self.isCursorOfMadeID(cursor) {
                remaining.removeAll { !Array($0.id.utf8).lexicographicallyPrecedes(after) }
            } else {
                throw JobStoreError.invalidCursor(cursor)
            }
        }
        let jobs = Array(remaining.prefix(limit))
        let next = remaining.count > limit ? jobs.last.map { Self.encodeCursor($0.id) } : nil
        return Page(jobs: jobs, nextCursor: next)
    }

    /// A new id, sortable by creation: `job-20261125T100000Z-<6 hex digits>`.
    public static func makeID(prefix: String = "job", at time: RFC3339Date) -> String {
        let utc = time.fields
        let stamp = String(cFormat: "%04d%02d%02dT%02d%02d%02dZ", utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
        let random = String(UInt32.random(in: 0...0xFFFFFF), radix: 16)
        return "\(prefix)-\(stamp)-\(String(repeating: "0", count: 6 - random.count))\(random)"
    }

    /// The JSON a job is stored and served as (sorted keys, so files diff cleanly).
    public static func encoded(_ job: TrainingJob) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(job))
    }

    static func isOlder(_ lhs: TrainingJob, _ rhs: TrainingJob) -> Bool {
        lhs.createdAt != rhs.createdAt ? lhs.createdAt < rhs.createdAt : lhs.id < rhs.id
    }

    /// Cursors are opaque to clients (base64url of the last id shown) so their form can change.
    static func encodeCursor(_ id: String) -> String {
        Data(id.utf8).base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// Whether `cursor` has the form of the cursors of `makeID`'s ids, base64url of 27 bytes
    /// starting `job-` (openapi.yaml's pattern `^am9iL[A-Za-z0-9_-]{31}$`).
    static func isCursorOfMadeID(_ cursor: String) -> Bool {
        cursor.utf8.count == 36 && cursor.hasPrefix("am9iL")
            && cursor.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
                || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    /// The id bytes a cursor names (not necessarily UTF-8: a cursor need not come from a real id).
    static func decodeCursor(_ cursor: String) -> [UInt8]? {
        var text = cursor.replacing("-", with: "+").replacing("_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text).map { [UInt8]($0) }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

public enum JobStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidCursor(String)

    public var description: String {
        switch self {
        case .invalidCursor: return "cursor is not one this service handed out; start again without it"
        }
    }
}
