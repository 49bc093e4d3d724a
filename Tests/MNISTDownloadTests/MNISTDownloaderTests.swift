import Foundation
import Synchronization
import MNISTData
import MNISTDownload
import Testing
import TestSupport

@Suite("SHA-256")
struct SHA256Tests {
    /// FIPS 180-4 / NIST example vectors, including the two-block message and a million `a`s
    /// fed in uneven pieces (so padding and block carry-over across updates are exercised).
    @Test func knownVectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var hash = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let count = min(piece, 1_000_000 - fed)
            hash.update([UInt8](repeating: UInt8(ascii: "a"), count: count))
            fed += count
            piece = piece * 3 % 1009 + 1
        }
        #expect(hash.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The digests of the real MNIST files agree with the sums their directory lists.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set")) func realFilesMatchTheirListedSums() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let listing = try String(contentsOfFile: directory + "/SHA256SUMS", encoding: .utf8)
        var checked = 0
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else { continue }
            #expect(try MNISTDownloader.digest(ofFileAt: directory + "/" + parts[1]) == String(parts[0]), "\(parts[1])")
            checked += 1
        }
        #expect(checked == 4)
    }
}

/// `mnist-cnn data download` against local mirrors that fail in each way a real one can.
@Suite("MNIST download")
struct MNISTDownloaderTests {
    /// Three stand-in files (the real ones are 11 MB; the code path is the same), each with its
    /// pinned digest.
    static let contents: [String: [UInt8]] = {
        var random = SplitMix64(seed: 14)
        return Dictionary(uniqueKeysWithValues: [("a-idx3-ubyte.gz", 150_000), ("b-idx1-ubyte.gz", 70_001), ("c.gz", 5)].map { name, size in
            (name, (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        })
    }()

    static let files = contents.keys.sorted().map { name in
        MNISTDownloader.File(name: name, sha256: SHA256.hex(contents[name]!), size: contents[name]!.count)
    }

    static func downloader(into directory: TemporaryDirectory, mirrors: [String]) -> (MNISTDownloader, EventLog) {
        var downloader = MNISTDownloader(directory: directory.path + "/mnist", mirrors: mirrors, files: files)
        let log = EventLog()
        downloader.onEvent = { log.append($0) }
        return (downloader, log)
    }

    final class EventLog: Sendable {
        private let stored = Mutex<[MNISTDownloader.Event]>([])
        func append(_ event: MNISTDownloader.Event) { stored.withLock { $0.append(event) } }
        var events: [MNISTDownloader.Event] { stored.withLock { $0 } }
    }

    static func expectDownloaded(_ directory: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/mnist").sorted()
        #expect(names == contents.keys.sorted(), "no partial files are left behind", sourceLocation: sourceLocation)
        for (name, bytes) in contents {
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path + "/mnist/" + name)))
            #expect(written == bytes, "\(name)", sourceLocation: sourceLocation)
        }
    }

    /// A mirror that 404s, one that is not listening and an https one are each skipped; the
    /// last mirror delivers everything, verified, with progress up to 100 %.
    @Test func failingMirrorsAreSkipped() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-download")
        defer { directory.remove() }
        let broken = try TestMirror(files: [:])
        let good = try TestMirror(files: Self.contents)
        defer { broken.stop(); good.stop() }
        let closedPort = try TestMirror(files: [:])
        closedPort.stop()
        let (downloader, log) = Self.downloader(into: directory, mirrors: [
            broken.url(), closedPort.url(), "https://127.0.0.1:1/mnist/", good.url(),
        ])
        try downloader.run()
        try Self.expectDownloaded(directory)
        let failures = log.events.compactMap { if case let .mirrorFailed(_, url, reason) = $0 { return (url, reason) } else { return nil } }
        #expect(failures.count == 9)
        #expect(failures.contains { $0.1.contains("HTTP 404") })
        #expect(failures.contains { $0.1.contains("cannot connect") })
        #expect(failures.contains { $0.1.contains("only http://") })
        #expect(log.events.contains(.progress(file: "a-idx3-ubyte.gz", bytes: 150_000, total: 150_000)))
        #expect(Set(log.events.compactMap { if case .verified(let file) = $0 { return file } else { return nil } }) == Set(Self.contents.keys))
    }

    /// A transfer cut short is resumed with `Range` from where it stopped, on the same run,
    /// and a later run finds a leftover partial file and resumes it too.
    @Test func truncatedTransfersResume() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-download")
        defer { directory.remove() }
        let mirror = try TestMirror(files: Self.contents)
        defer { mirror.stop() }
        mirror.plan("/mnist/a-idx3-ubyte.gz", [.truncateAfter(40_000), .truncateAfter(50_000)])
        let (downloader, _) = Self.downloader(into: directory, mirrors: [mirror.url()])
        #expect(throws: MNISTDownloader.Failure.self) { try downloader.run() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/mnist/a-idx3-ubyte.gz.part")).count == 90_000)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/mnist/a-idx3-ubyte.gz"))

        mirror.plan("/mnist/a-idx3-ubyte.gz", [.truncateAfter(10_000)])
        try downloader.run()
        try Self.expectDownloaded(directory)
        let ranges = mirror.requests.filter { $0.path == "/mnist/a-idx3-ubyte.gz" }.map(\.range)
        #expect(ranges == [nil, 40_000, 90_000, 100_000])
    }

    /// A mirror that ignores `Range` and sends the whole file again is written from the start.
    @Test func mirrorIgnoringRangeRestarts() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-download")
        defer { directory.remove() }
        let mirror = try TestMirror(files: Self.contents)
        defer { mirror.stop() }
        mirror.plan("/mnist/a-idx3-ubyte.gz", [.truncateAfter(60_000), .ignoreRange])
        let (downloader, _) = Self.downloader(into: directory, mirrors: [mirror.url()])
        try downloader.run()
        try Self.expectDownloaded(directory)
    }

    /// Bytes that do not match the pinned SHA-256 are never kept: the next mirror is used, and
    /// with no good mirror the run fails naming the mismatch, leaving no file under the name.
    @Test func checksumMismatchIsRejected() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-download")
        defer { directory.remove() }
        let evil = try TestMirror(files: Self.contents)
        let good = try TestMirror(files: Self.contents)
        defer { evil.stop(); good.stop() }
        let wrong = [UInt8](repeating: 7, count: 5)
        evil.plan("/mnist/c.gz", [.corrupt(wrong), .corrupt(wrong)])
        let (onlyEvil, _) = Self.downloader(into: directory, mirrors: [evil.url()])
        do {
            try onlyEvil.run()
            Issue.record("a file with the wrong checksum was accepted")
        } catch let failure as MNISTDownloader.Failure {
            #expect("\(failure)".contains("SHA-256"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/mnist/c.gz"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/mnist/c.gz.part"))

        evil.plan("/mnist/c.gz", [.corrupt(wrong)])
        let (both, _) = Self.downloader(into: directory, mirrors: [evil.url(), good.url()])
        try both.run()
        try Self.expectDownloaded(directory)
        #expect(good.requests.map(\.path) == ["/mnist/c.gz"], "files already verified are not fetched again")

        let requestsBefore = evil.requests.count + good.requests.count
        let (again, log) = Self.downloader(into: directory, mirrors: [evil.url(), good.url()])
        try again.run()
        #expect(evil.requests.count + good.requests.count == requestsBefore)
        #expect(log.events.allSatisfy { if case .alreadyPresent = $0 { return true } else { return false } })
    }
}

/// The default data directory every command and the tests fall back on.
@Suite("MNIST directory")
struct MNISTDirectoryTests {
    @Test func defaultPathFollowsXDG() {
        #expect(MNISTDirectory.defaultPath(environment: ["XDG_DATA_HOME": "/x/data", "HOME": "/home/u"]) == "/x/data/mnist-cnn/mnist")
        #expect(MNISTDirectory.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/mnist-cnn/mnist")
        #expect(MNISTDirectory.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"])
                == "/home/u/.local/share/mnist-cnn/mnist", "a relative XDG_DATA_HOME is ignored, as the spec says")
        #expect(MNISTDirectory.defaultPath(environment: [:]) == nil)
    }

    /// `MNIST_DIR` wins; otherwise the default directory counts only once it holds all four
    /// files (gzipped or not).
    @Test func resolvePrefersMNISTDirAndNeedsCompleteFiles() throws {
        let home = try TemporaryDirectory(prefix: "mnist-home")
        defer { home.remove() }
        let environment = ["XDG_DATA_HOME": home.path]
        let expected = home.path + "/mnist-cnn/mnist"
        #expect(MNISTDirectory.resolve(environment: environment) == nil)
        try FileManager.default.createDirectory(atPath: expected, withIntermediateDirectories: true)
        for (index, stem) in MNISTDirectory.fileStems.enumerated() {
            #expect(MNISTDirectory.resolve(environment: environment) == nil)
            _ = FileManager.default.createFile(atPath: expected + "/" + stem + (index % 2 == 0 ? ".gz" : ""), contents: Data())
        }
        #expect(MNISTDirectory.resolve(environment: environment) == expected)
        #expect(MNISTDirectory.resolve(environment: environment.merging(["MNIST_DIR": "/elsewhere"]) { $1 }) == "/elsewhere")
        #expect(try TestData.mnistDirectory(environment: environment) == expected)
    }
}
