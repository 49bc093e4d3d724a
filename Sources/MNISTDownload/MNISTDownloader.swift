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

/// Fetches MNIST's four files from a list of mirrors into a directory: each file is taken from
/// the first mirror that delivers it, resumed where a previous transfer stopped (`Range`),
/// checked against its pinned SHA-256, and only then renamed to its final name, so the
/// directory never holds a partial or altered file under a name the loaders read.
public struct MNISTDownloader {
    /// One file as the mirrors serve it.
    public struct File: Sendable, Equatable {
        public var name: String
        /// SHA-256 of the file as served (gzipped), lowercase hex.
        public var sha256: String
        public var size: Int

        public init(name: String, sha256: String, size: Int) {
            self.name = name
            self.sha256 = sha256
            self.size = size
        }
    }

    /// MNIST as distributed (the `.gz` files every mirror serves). The SHA-256 sums are the
    /// ones TensorFlow Datasets and Keras pin for the same files (torchvision pins their MD5s).
    public static let mnistFiles = [
        File(name: "train-images-idx3-ubyte.gz", sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", size: 9_912_422),
        File(name: "train-labels-idx1-ubyte.gz", sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", size: 28_881),
        File(name: "t10k-images-idx3-ubyte.gz", sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", size: 1_648_877),
        File(name: "t10k-labels-idx1-ubyte.gz", sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", size: 4_542),
    ]

    /// torchvision's MNIST mirrors, in its order, over plain http (see `HTTPGet` for why).
    public static let defaultMirrors = [
        "http://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    /// What happens, for progress output.
    public enum Event: Equatable, Sendable {
        /// The file is already there with the right checksum.
        case alreadyPresent(file: String)
        case started(file: String, url: String, resumingAt: Int)
        case progress(file: String, bytes: Int, total: Int)
        /// This mirror did not deliver the file; the next one is tried (a partial transfer is kept).
        case mirrorFailed(file: String, url: String, reason: String)
        case verified(file: String)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No mirror delivered the file with the right checksum.
        case allMirrorsFailed(file: String, reasons: [String])
        case writeFailed(path: String, reason: String)

        public var description: String {
            switch self {
            case let .allMirrorsFailed(file, reasons):
                return "could not download \(file) from any mirror:\n  " + reasons.joined(separator: "\n  ")
            case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
            }
        }
    }

    /// A mirror delivered other bytes than the pinned file (the next mirror is tried).
    struct ChecksumMismatch: Error, CustomStringConvertible {
        var actual: String
        var expected: String
        var description: String { "SHA-256 mismatch: got \(actual), expected \(expected)" }
    }

    public var mirrors: [String]
    public var directory: String
    public var files: [File]
    /// Rounds through the mirror list before giving up: a transfer cut short on the last
    /// mirror resumes from the first again.
    public var rounds = 2
    public var onEvent: (Event) -> Void = { _ in }

    public init(directory: String, mirrors: [String] = MNISTDownloader.defaultMirrors, files: [File] = MNISTDownloader.mnistFiles) {
        self.directory = directory
        self.mirrors = mirrors
        self.files = files
    }

    /// Downloads every file not already present and correct.
    /// - Throws: `Failure` for the first file no mirror delivered.
    public func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files { try fetch(file) }
    }

    private func fetch(_ file: File) throws {
        let finalPath = directory + "/" + file.name
        if FileManager.default.fileExists(atPath: finalPath), (try? Self.digest(ofFileAt: finalPath)) == file.sha256 {
            onEvent(.alreadyPresent(file: file.name))
            return
        }
        let partialPath = finalPath + ".part"
        var reasons: [String] = []
        for _ in 0..<rounds {
            for mirror in mirrors {
                let url = (mirror.hasSuffix("/") ? mirror : mirror + "/") + file.name
                do {
                    try transfer(url, file: file, to: partialPath)
                    let digest = try Self.digest(ofFileAt: partialPath)
                    guard digest == file.sha256 else {
                        // Wrong bytes, not missing ones: resuming cannot fix them.
                        unlink(partialPath)
                        throw ChecksumMismatch(actual: digest, expected: file.sha256)
                    }
                    guard rename(partialPath, finalPath) == 0 else {
                        throw Failure.writeFailed(path: finalPath, reason: String(cString: strerror(errno)))
                    }
                    onEvent(.verified(file: file.name))
                    return
                } catch let failure as Failure {
                    throw failure
                } catch {
                    reasons.append("\(url): \(error)")
                    onEvent(.mirrorFailed(file: file.name, url: url, reason: "\(error)"))
                }
            }
        }
        throw Failure.allMirrorsFailed(file: file.name, reasons: reasons)
    }

    /// One GET into the partial file, resuming after the bytes it already holds.
    private func transfer(_ url: String, file: File, to partialPath: String) throws {
        var have = Self.size(ofFileAt: partialPath) ?? 0
        if have >= file.size {
            // Complete already (a run stopped between transfer and check) or longer than the
            // file can be: check what is there rather than ask for bytes past the end.
            if have == file.size { return }
            unlink(partialPath)
            have = 0
        }
        onEvent(.started(file: file.name, url: url, resumingAt: have))
        var descriptor: Int32 = -1
        defer { if descriptor >= 0 { close(descriptor) } }
        var written = have
        var lastReported = -1
        try HTTPGet.get(url, rangeFrom: have) { response in
            switch response.status {
            case 206:
                break
            case 200:
                // The mirror ignored the range: the body is the whole file, so start over.
                written = 0
            default:
                throw HTTPGet.Failure.malformedResponse("HTTP \(response.status)")
            }
            descriptor = open(partialPath, O_WRONLY | O_CREAT | O_CLOEXEC | (written == 0 ? O_TRUNC : O_APPEND), 0o644)
            guard descriptor >= 0 else {
                throw Failure.writeFailed(path: partialPath, reason: String(cString: strerror(errno)))
            }
        } body: { chunk in
            guard written + chunk.count <= file.size else {
                throw HTTPGet.Failure.malformedResponse("more than the file's \(file.size) bytes")
            }
            var offset = 0
            while offset < chunk.count {
                let count = chunk[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { throw Failure.writeFailed(path: partialPath, reason: String(cString: strerror(errno))) }
                offset += count
            }
            written += chunk.count
            let percent = written * 100 / max(file.size, 1)
            if percent != lastReported {
                lastReported = percent
                onEvent(.progress(file: file.name, bytes: written, total: file.size))
            }
        }
        if descriptor >= 0 { fsync(descriptor) }
    }

    private static func size(ofFileAt path: String) -> Int? {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : nil
    }

    /// The SHA-256 of a file, read in 1 MiB pieces.
    public static func digest(ofFileAt path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure.writeFailed(path: path, reason: "cannot read it") }
        defer { close(descriptor) }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure.writeFailed(path: path, reason: "cannot read it") }
            if count == 0 { return hash.finalizeHex() }
            hash.update(buffer[..<count])
        }
    }
}
