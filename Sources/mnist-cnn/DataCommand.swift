import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTData
import MNISTDownload

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Get the MNIST data set.", subcommands: [DownloadCommand.self])
}

/// `mnist-cnn data download`: the four MNIST files into the default data directory, where
/// `serve`, `train`, `evaluate` and the tests find them without `MNIST_DIR`.
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download MNIST's four files from public mirrors, verified by SHA-256.",
        discussion: """
            Writes to $XDG_DATA_HOME/mnist-cnn/mnist (default ~/.local/share/mnist-cnn/mnist), where \
            serve, train and evaluate look when MNIST_DIR is unset. Each file comes from the first mirror \
            that delivers it, resumes where an interrupted download stopped, and is kept only once its \
            SHA-256 matches the pinned sum. Mirrors are plain http:// (the checksums, not TLS, vouch for \
            the files).
            """)

    @Option(name: .customLong("mirror"), help: ArgumentHelp(
        "A mirror base URL (repeatable; tried in order). Default: torchvision's mirrors.", valueName: "url"))
    var mirrors: [String] = []
    @Option(help: "Directory to write to (default: the per-user data directory).") var dir: String?
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        try reportingErrors {
            guard let directory = dir ?? MNISTDirectory.defaultPath() else {
                throw CommandFailure("neither XDG_DATA_HOME nor HOME is set: pass --dir")
            }
            var downloader = MNISTDownloader(directory: directory,
                                             mirrors: mirrors.isEmpty ? MNISTDownloader.defaultMirrors : mirrors)
            let quiet = quiet
            downloader.onEvent = { event in
                guard !quiet else { return }
                switch event {
                case .alreadyPresent(let file):
                    progressLine("\(file): already downloaded and verified\n")
                case let .started(file, url, offset):
                    progressLine("\(file): \(url)" + (offset > 0 ? " (resuming at \(offset) bytes)" : "") + "\n")
                case let .progress(file, bytes, total):
                    progressLine("\r\(file): \(bytes * 100 / max(total, 1)) % (\(bytes)/\(total) bytes)"
                                 + (bytes == total ? "\n" : ""))
                case let .mirrorFailed(file, url, reason):
                    progressLine("\n\(file): \(url) failed: \(reason); trying the next mirror\n")
                case .verified(let file):
                    progressLine("\(file): SHA-256 verified\n")
                }
            }
            try downloader.run()
            print(directory)
        }
    }
}

/// Progress goes to stderr, so stdout carries only the directory (for `MNIST_DIR=$(...)`).
private func progressLine(_ text: String) {
    StandardError.write(text)
}
