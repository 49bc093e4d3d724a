import Foundation
import Synchronization
import Testing
import ModelFile
import Platform
import TestSupport

/// Counts file-system calls and fails exactly the Nth with EIO (a transient fault).
private final class FaultInjector: Sendable {
    /// Calls made so far, and whether the Nth has been failed.
    private let state = Mutex((calls: 0, injected: false))
    private let failAt: Int

    init(failAt: Int) { self.failAt = failAt }

    var injected: Bool { state.withLock { $0.injected } }

    /// Whether this call should fail; counts it.
    private func shouldFail() -> Bool {
        state.withLock { state in
            state.calls += 1
            if state.calls == failAt { state.injected = true }
            return state.calls == failAt
        }
    }

    var fileSystem: FileSystem {
        let real = FileSystem.posix
        return FileSystem(
            open: { self.shouldFail() ? self.fail() : real.open($0, $1, $2) },
            read: { self.shouldFail() ? self.fail() : real.read($0, $1) },
            write: { self.shouldFail() ? self.fail() : real.write($0, $1) },
            size: { self.shouldFail() ? self.fail() : real.size($0) },
            fsync: { self.shouldFail() ? self.fail() : real.fsync($0) },
            close: { self.shouldFail() ? self.fail() : real.close($0) },
            rename: { self.shouldFail() ? self.fail() : real.rename($0, $1) },
            unlink: { self.shouldFail() ? self.fail() : real.unlink($0) },
            link: { self.shouldFail() ? self.fail() : real.link($0, $1) })
    }

    private func fail<T: BinaryInteger>() -> T {
        errno = EIO
        return -1
    }
}

/// A thread-safe count.
private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

@Suite struct AtomicFileTests {
    /// A new file is created, an existing one replaced, and no temporary file is left.
    @Test func writesAndReplaces() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.safetensors")
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == [4, 5])
        #expect(try directory.contents() == ["model.safetensors"])
    }

    /// A directory that does not exist fails with the path and the errno text.
    @Test func reportsMissingDirectory() {
        #expect {
            try AtomicFile.write([1], to: "/nonexistent/dir/model.safetensors")
        } throws: { error in
            let description = (error as? FileError)?.description ?? ""
            return description.hasPrefix("/nonexistent/dir/model.safetensors:") && description.hasSuffix("No such file or directory")
        }
    }

    /// SQLite-style fault simulation: fail call 1, 2, 3, ... until a run sees no fault. Each
    /// run must leave either the old file intact and no temporary file, or the whole new file.
    @Test func survivesEveryInjectedFault() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.safetensors")
        let old = SafeTensorsFile([("w", .init(shape: [2], floats: [1, 2]))]).encode()
        let new = sampleFile()
        var failAt = 1
        while true {
            try AtomicFile.write(old, to: path)
            let injector = FaultInjector(failAt: failAt)
            var thrown: Error?
            do {
                try new.write(path: path, fileSystem: injector.fileSystem)
            } catch {
                thrown = error
            }
            let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(content == old || content == new.encode(), "fault at call \(failAt)")
            #expect(try directory.contents() == ["model.safetensors"], "fault at call \(failAt)")
            if let thrown {
                #expect(injector.injected, "error without a fault at call \(failAt): \(thrown)")
                #expect("\(thrown)".contains("Input/output error"), "fault at call \(failAt): \(thrown)")
            }
            if !injector.injected {
                #expect(thrown == nil && content == new.encode())
                break
            }
            // A thrown error means nothing changed: once the rename commits, nothing is thrown.
            if thrown != nil {
                #expect(content == old, "an error was thrown for a committed write at call \(failAt)")
            }
            failAt += 1
        }
        // open, write, fsync, close, rename, open dir, fsync dir, close dir: at least 8 calls tried.
        #expect(failAt >= 9)
    }

    /// `createIfAbsent`: many writers racing for one name; exactly one creates it, every
    /// other finds it, all read the winner's whole content, and no temporary file is left.
    @Test func createIfAbsentHasOneWinner() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("admin-token")
        let created = Counter()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let content = Array("token-\(index)".utf8)
            if (try? AtomicFile.createIfAbsent(content, at: path, mode: 0o600)) == true { created.increment() }
        }
        #expect(created.value == 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("token-"))
        #expect(try directory.contents() == ["admin-token"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try AtomicFile.createIfAbsent(Array("other".utf8), at: path) == false)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    /// Fault simulation for `createIfAbsent`: after every injected fault either no file exists
    /// (and the error was thrown) or the whole content does; never a temporary file.
    @Test func createIfAbsentSurvivesEveryInjectedFault() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("admin-token")
        let content = Array("0123456789abcdef".utf8)
        var failAt = 1
        while true {
            try? FileManager.default.removeItem(atPath: path)
            let injector = FaultInjector(failAt: failAt)
            let thrown: Bool
            do {
                try AtomicFile.createIfAbsent(content, at: path, mode: 0o600, fileSystem: injector.fileSystem)
                thrown = false
            } catch {
                thrown = true
            }
            // Only a failed unlink of the temporary file may leave it (and nothing reads it).
            for name in try directory.contents() where name.contains(".tmp-") {
                #expect(injector.injected, "a temporary file without a fault at call \(failAt)")
                try FileManager.default.removeItem(atPath: directory.file(name))
            }
            if thrown {
                #expect(!FileManager.default.fileExists(atPath: path), "fault at call \(failAt)")
            } else {
                #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == content, "fault at call \(failAt)")
            }
            if !injector.injected { break }
            failAt += 1
        }
        #expect(failAt >= 6)
    }

    /// Faults while reading are errors naming the file, never partial tensors.
    @Test func readFaultsAreErrors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.safetensors")
        try sampleFile().write(path: path)
        var failAt = 1
        while true {
            let injector = FaultInjector(failAt: failAt)
            do {
                let file = try SafeTensorsFile.read(path: path, fileSystem: injector.fileSystem)
                #expect(file == sampleFile(), "fault at call \(failAt)")
            } catch let error as SafeTensorsError {
                #expect(error == .readFailed(path: path, reason: "Input/output error"), "fault at call \(failAt)")
            }
            if !injector.injected { break }
            failAt += 1
        }
        #expect(failAt >= 4)
    }
}
