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

/// Where jobs, checkpoints and trained models live (`--state-dir`):
///
///     <root>/jobs/<job id>.json                one file per job, the job's JSON
///     <root>/checkpoints/<job id>.safetensors  the last finished epoch of a running job
///     <root>/models/<model id>.safetensors     a trained model (the model file format)
///     <root>/models/<model id>.json            its registry record
///     <root>/active-model.json                 {"id": ...}: the model /predict uses
///     <root>/quarantine/                       files set aside as corrupt, never read again
///     <root>/admin-token                       the generated admin token (mode 0600), see `AdminToken`
///     <root>/queue.lock                        the queue owner's lease, see `QueueLease`
///
/// Every file is replaced atomically (`AtomicFile.write`), so a crash leaves the old or the new
/// content, and at most a hidden `.name.tmp-<pid>-<random>` file, which readers skip.
///
/// Several processes may share one state directory (replicas on a shared volume). Who writes
/// what: `jobs/`, `checkpoints/`, `models/` and `quarantine/` only the queue owner (the holder
/// of `queue.lock`); `active-model.json` any process that activates a model; `admin-token` the
/// first process to start. So only the owner cleans up, and of the files in the root only
/// temporary files old enough that no live write can still own them.
public struct StateDirectory: Sendable {
    public let root: String
    /// The file-system calls every write under this directory goes through (the real ones, or
    /// a fault-injecting stand-in in tests).
    public let fileSystem: FileSystem

    /// A temporary file in the root older than this is an interrupted write, not one in progress
    /// (an atomic write of a few hundred bytes takes milliseconds).
    static let staleTemporaryAge: TimeInterval = 600

    public init(root: String, fileSystem: FileSystem = .posix) {
        self.root = root
        self.fileSystem = fileSystem
    }

    public var jobsDirectory: String { root + "/jobs" }
    public var checkpointsDirectory: String { root + "/checkpoints" }
    public var modelsDirectory: String { root + "/models" }
    public var quarantineDirectory: String { root + "/quarantine" }
    public var activeModelPath: String { root + "/active-model.json" }
    public var adminTokenPath: String { root + "/admin-token" }
    public var queueLockPath: String { root + "/queue.lock" }

    public func jobPath(_ id: String) -> String { jobsDirectory + "/\(id).json" }
    public func checkpointPath(_ jobID: String) -> String { checkpointsDirectory + "/\(jobID).safetensors" }
    public func modelPath(_ id: String) -> String { modelsDirectory + "/\(id).safetensors" }
    public func modelRecordPath(_ id: String) -> String { modelsDirectory + "/\(id).json" }

    /// Creates the directories that are missing.
    public func createDirectories() throws {
        for directory in [jobsDirectory, checkpointsDirectory, modelsDirectory, quarantineDirectory] {
            try fileSystem.createDirectories(directory)
        }
    }

    /// The visible file names in `directory` ending in `.suffix`, sorted; temporary files of
    /// interrupted atomic writes (`.name.tmp-*`) are hidden and so skipped. A directory that
    /// cannot be read has none.
    func files(in directory: String, suffix: String) -> [String] {
        let names = (try? fileSystem.contentsOfDirectory(directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0.hasSuffix(suffix) }.sorted()
    }

    /// The content of `path`, read through this directory's file system.
    /// - Throws: `FileError` (an I/O failure: the file is not to be judged corrupt for it).
    func read(_ path: String) throws -> [UInt8] {
        try fileSystem.readAll(path)
    }

    /// Writes `bytes` to `path` atomically through this directory's file system. A write
    /// whose rename committed is done, even when the directory sync after it failed.
    func write(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(bytes, to: path, fileSystem: fileSystem)
    }

    /// Deletes the temporary files of atomic writes a killed process left (`.name.tmp-*`): a
    /// write that never reached its rename is a write that never happened. Only the queue
    /// owner calls it, right after taking the lease: in `jobs/`, `checkpoints/` and `models/`
    /// the only writer was the previous owner, which is gone; in the root every process writes
    /// (activations), so only files older than `staleTemporaryAge` go.
    /// - Returns: the paths removed.
    @discardableResult
    func removeStaleTemporaryFiles(now: Date = Date()) -> [String] {
        var removed: [String] = []
        for directory in [root, jobsDirectory, checkpointsDirectory, modelsDirectory] {
            let names = (try? fileSystem.contentsOfDirectory(directory)) ?? []
            for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
                let path = directory + "/" + name
                if directory == root {
                    guard let modified = fileSystem.modificationTime(path),
                          now.timeIntervalSince1970 - modified > Self.staleTemporaryAge else { continue }
                }
                if fileSystem.unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed
    }

    /// Moves `path` into `quarantine/` (under a unique name, so nothing there is overwritten)
    /// and describes why; a file that cannot be moved is still reported.
    @discardableResult
    public func quarantine(_ path: String, reason: String) -> StateProblem {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let target = quarantineDirectory + "/\(name).\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        do {
            try fileSystem.createDirectories(quarantineDirectory)
            guard fileSystem.rename(path, target) == 0 else {
                throw FileError(operation: "move into quarantine", path: path, code: errno)
            }
            return StateProblem(path: path, reason: reason, quarantinedTo: target)
        } catch {
            return StateProblem(path: path, reason: reason + " (could not move it aside: \(error))",
                                quarantinedTo: nil)
        }
    }

    /// Whether `path` exists, looked at through this directory's file system.
    func fileExists(_ path: String) -> Bool {
        fileSystem.fileExists(path)
    }

    /// Removes `path` if it exists (a finished job's checkpoint).
    func removeIfPresent(_ path: String) {
        _ = fileSystem.unlink(path)
    }
}
