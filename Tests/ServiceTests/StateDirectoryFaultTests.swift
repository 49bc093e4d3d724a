import Foundation
import Platform
import Testing
import TestSupport
@testable import Service

/// The state directory's bookkeeping (mkdir, listing, existence checks) goes through its
/// `FileSystem` like its reads and writes, so a test can fail those calls too.
@Suite struct StateDirectoryFaultTests {
    /// A state directory under a fresh temporary root whose `mkdir` fails with `code` and
    /// whose listing and `stat` succeed as usual.
    static func state(mkdirFailsWith code: Int32) throws -> (TemporaryDirectory, StateDirectory) {
        let temporary = try TemporaryDirectory()
        var fileSystem = FileSystem.posix
        fileSystem.makeDirectory = { _, _ in
            errno = code
            return -1
        }
        return (temporary, StateDirectory(root: temporary.path + "/state", fileSystem: fileSystem))
    }

    /// A full disk at start names the directory it could not make.
    @Test func createDirectoriesReportsTheFailedMkdir() throws {
        let (temporary, state) = try Self.state(mkdirFailsWith: ENOSPC)
        defer { temporary.remove() }
        let error = try #require(throws: FileError.self) { try state.createDirectories() }
        #expect(error.operation == "create directory" && error.code == ENOSPC && error.path.hasSuffix("/state"),
                "the state root is the first directory missing: \(error)")
    }

    /// `mkdir -p` through a regular file names that file and says it is not a directory.
    @Test func aFileInTheWayIsNotADirectory() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let file = try temporary.write(Array("x".utf8), to: "a-file")
        let error = try #require(throws: FileError.self) { try FileSystem.posix.createDirectories(file + "/state/jobs") }
        #expect(error.code == ENOTDIR && error.path.hasSuffix("/a-file"), "\(error)")
    }

    /// A corrupt file that cannot be moved aside (its quarantine folder cannot be made) is
    /// still reported, with why it stayed, and stays where it was.
    @Test func quarantineThatCannotMakeItsFolderStillReports() throws {
        let (temporary, state) = try Self.state(mkdirFailsWith: EIO)
        defer { temporary.remove() }
        try FileSystem.posix.createDirectories(state.jobsDirectory)
        let path = state.jobPath("job-1")
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        let problem = state.quarantine(path, reason: "not JSON")
        #expect(problem.quarantinedTo == nil && problem.reason.hasPrefix("not JSON (could not move it aside"))
        #expect(state.fileExists(path) && state.files(in: state.jobsDirectory, suffix: ".json") == ["job-1.json"])
    }

    /// A directory that cannot be listed lists nothing (nothing on disk is touched for it).
    @Test func unreadableListingIsEmpty() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        var fileSystem = FileSystem.posix
        fileSystem.listDirectory = { _ in
            errno = EIO
            return nil
        }
        let state = StateDirectory(root: temporary.path, fileSystem: fileSystem)
        try state.createDirectories()
        try Data("{}".utf8).write(to: URL(fileURLWithPath: state.jobPath("job-1")))
        #expect(state.files(in: state.jobsDirectory, suffix: ".json").isEmpty)
        #expect(StateDirectory(root: temporary.path).files(in: state.jobsDirectory, suffix: ".json") == ["job-1.json"])
        #expect(throws: FileError(operation: "list", path: state.jobsDirectory, code: EIO)) {
            try fileSystem.contentsOfDirectory(state.jobsDirectory)
        }
    }
}
