import Foundation

/// Where jobs, checkpoints and trained models live (`--state-dir`):
///
///     <root>/jobs/<job id>.json                one file per job, the job's JSON
///     <root>/checkpoints/<job id>.safetensors  the last finished epoch of a running job
///     <root>/models/<model id>.safetensors     a trained model (the model file format)
///     <root>/models/<model id>.json            its registry record
///     <root>/active-model.json                 {"id": ...}: the model /predict uses
///     <root>/quarantine/                       files set aside as corrupt, never read again
///
/// Every file is replaced atomically (`AtomicFile.write`), so a crash leaves the old or the new
/// content, and at most a hidden `.name.tmp-*` file, which readers skip.
public struct StateDirectory: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var jobsDirectory: String { root + "/jobs" }
    public var checkpointsDirectory: String { root + "/checkpoints" }
    public var modelsDirectory: String { root + "/models" }
    public var quarantineDirectory: String { root + "/quarantine" }
    public var activeModelPath: String { root + "/active-model.json" }

    public func jobPath(_ id: String) -> String { jobsDirectory + "/\(id).json" }
    public func checkpointPath(_ jobID: String) -> String { checkpointsDirectory + "/\(jobID).safetensors" }
    public func modelPath(_ id: String) -> String { modelsDirectory + "/\(id).safetensors" }
    public func modelRecordPath(_ id: String) -> String { modelsDirectory + "/\(id).json" }

    /// Creates the directories that are missing.
    public func createDirectories() throws {
        for directory in [jobsDirectory, checkpointsDirectory, modelsDirectory, quarantineDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    /// The visible file names in `directory` ending in `.suffix`, sorted; temporary files of
    /// interrupted atomic writes (`.name.tmp-*`) are hidden and so skipped.
    func files(in directory: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0.hasSuffix(suffix) }.sorted()
    }

    /// Deletes the temporary files of atomic writes a killed process left (`.name.tmp-*`): a
    /// write that never reached its rename is a write that never happened.
    func removeStaleTemporaryFiles() {
        for directory in [root, jobsDirectory, checkpointsDirectory, modelsDirectory] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
            }
        }
    }

    /// Moves `path` into `quarantine/` (under a unique name, so nothing there is overwritten)
    /// and describes why; a file that cannot be moved is still reported.
    @discardableResult
    public func quarantine(_ path: String, reason: String) -> StateProblem {
        let name = (path as NSString).lastPathComponent
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let target = quarantineDirectory + "/\(name).\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        do {
            try FileManager.default.createDirectory(atPath: quarantineDirectory, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: path, toPath: target)
            return StateProblem(path: path, reason: reason, quarantinedTo: target)
        } catch {
            return StateProblem(path: path, reason: reason + " (could not move it aside: \(error.localizedDescription))",
                                quarantinedTo: nil)
        }
    }

    /// Removes `path` if it exists (a finished job's checkpoint).
    func removeIfPresent(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
