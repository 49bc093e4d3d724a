import Foundation
import HTTP1
import Platform
import Service
import Testing
import TestSupport

/// Each start-up error says what is wrong and what to do (issue 7): in-process through
/// `ServiceApp`, and as the user meets it, from the `mnist-cnn serve` binary.
struct ConfigurationTests {
    /// The message of the error `ServiceApp` throws from `init` or `start()` for
    /// `configuration`, or nil when it starts (the service is then stopped again).
    static func startupError(_ configure: (inout ServiceConfiguration, TemporaryDirectory) throws -> Void) throws -> String? {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-config-test")
        defer { directory.remove() }
        var configuration = try ServiceHarness.configuration(stateDirectory: directory.file("state"))
        try configure(&configuration, directory)
        do {
            let app = try ServiceApp(configuration: configuration, logger: ServiceHarness.quietLogger)
            try app.start()
            app.shutdown()
            app.waitUntilStopped()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func missingModelFileSaysWhichFlagToPass() throws {
        let message = try #require(try Self.startupError { configuration, directory in
            configuration.modelPath = directory.file("no-such-model.safetensors")
        })
        #expect(message.contains("no-such-model.safetensors"))
        #expect(message.contains("does not exist"))
        #expect(message.contains("--model"))
        #expect(message.contains("MNIST_CNN_MODEL"))
    }

    /// A model path that is a directory is refused like a missing file, not read as one.
    @Test func modelPathThatIsADirectoryIsRefused() throws {
        let message = try #require(try Self.startupError { configuration, directory in
            configuration.modelPath = directory.path
        })
        #expect(message.contains("--model"))
    }

    /// A regular file where a parent directory of the state directory should be: creating
    /// it fails even for root (a read-only directory would not stop root).
    @Test func unwritableStateDirectorySaysWhichFlagToPass() throws {
        let message = try #require(try Self.startupError { configuration, directory in
            let file = try directory.write(Array("not a directory".utf8), to: "a-file")
            configuration.stateDirectory = file + "/state"
        })
        #expect(message.contains("a-file/state"))
        #expect(message.contains("--state-dir"))
        #expect(message.contains("MNIST_CNN_STATE_DIR"))
    }

    /// What a non-root user meets (root reads and writes past any permission): the model file
    /// that cannot be opened, and a state directory that refuses new files, each named with
    /// what to do. The refusals are injected through the file system `validate` reads through.
    @Test func permissionFailuresAreNamed() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-config-test")
        defer { directory.remove() }
        let configuration = try ServiceHarness.configuration(stateDirectory: directory.file("state"))
        func refusing(_ matches: @escaping @Sendable (String, Int32) -> Bool) -> FileSystem {
            var fileSystem = FileSystem.posix
            let open = fileSystem.open
            fileSystem.open = { path, flags, mode in
                if matches(path, flags) { errno = EACCES; return -1 }
                return open(path, flags, mode)
            }
            return fileSystem
        }
        let modelPath = configuration.modelPath
        do {
            try configuration.validate(fileSystem: refusing { path, _ in path == modelPath })
            Issue.record("an unreadable model file was accepted")
        } catch {
            #expect("\(error)".contains("not readable"))
        }
        do {
            try configuration.validate(fileSystem: refusing { path, flags in flags & O_CREAT != 0 })
            Issue.record("an unwritable state directory was accepted")
        } catch {
            #expect("\(error)".contains("not writable"))
            #expect("\(error)".contains("--state-dir"))
        }
        try configuration.validate()
    }

    /// A second server on a port the first one holds fails with the typed error naming the
    /// port (what to do is the CLI's to say: `portInUseExitsNonZeroNamingThePort`), and the
    /// first server is unharmed.
    @Test func portInUseIsATypedErrorNamingThePort() throws {
        let first = try ServiceHarness()
        defer { first.stop() }
        let port = first.port
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-config-test")
        defer { directory.remove() }
        var configuration = try ServiceHarness.configuration(stateDirectory: directory.path)
        configuration.port = port
        let second = try ServiceApp(configuration: configuration, logger: ServiceHarness.quietLogger)
        do {
            try second.start()
            second.shutdown()
            second.waitUntilStopped()
            Issue.record("a second server started on port \(port)")
        } catch let error as HTTPServerError {
            #expect(error == .addressInUse(host: "127.0.0.1", port: port))
            #expect("\(error)".contains(String(port)))
        }
        #expect(try first.get("/healthz").status == 200, "the first server is unharmed")
    }

    @Test func missingMNISTDirectorySaysWhichFlagToPass() throws {
        let message = try #require(try Self.startupError { configuration, directory in
            configuration.mnistDirectory = directory.file("no-mnist-here")
        })
        #expect(message.contains("no-mnist-here"))
        #expect(message.contains("--mnist-dir"))
    }

    @Test func shortAdminTokenSaysHowLongItMustBe() throws {
        let message = try #require(try Self.startupError { configuration, _ in configuration.adminToken = "s3cr3t7" })
        #expect(message.contains("at least 8"))
        #expect(!message.contains("s3cr3t7"), "the message must not echo the secret")
    }

    @Test func outOfRangeSettingsNameTheirFlag() throws {
        let port = try #require(try Self.startupError { configuration, _ in configuration.port = 70_000 })
        #expect(port.contains("70000") && port.contains("1-65535"))
        let batch = try #require(try Self.startupError { configuration, _ in configuration.batching.maxBatchSize = 0 })
        #expect(batch.contains("--max-batch-size"))
        let delay = try #require(try Self.startupError { configuration, _ in configuration.batching.maxQueueDelayMicroseconds = -1 })
        #expect(delay.contains("--max-queue-delay-us"))
        let images = try #require(try Self.startupError { configuration, _ in configuration.maxImagesPerRequest = 0 })
        #expect(images.contains("--max-images-per-request"))
        let predictBody = try #require(try Self.startupError { configuration, _ in configuration.maxPredictBodyBytes = 0 })
        #expect(predictBody.contains("--max-predict-body-bytes"))
        let trainBody = try #require(try Self.startupError { configuration, _ in configuration.maxTrainBodyBytes = 0 })
        #expect(trainBody.contains("--max-train-body-bytes"))
        let budget = try #require(try Self.startupError { configuration, _ in configuration.memoryBudgetBytes = 1000 })
        #expect(budget.contains("--memory-budget") && budget.contains("1 MiB"))
    }

    /// A valid configuration starts (so the failures above come from the settings changed).
    @Test func validConfigurationStarts() throws {
        #expect(try Self.startupError { _, _ in } == nil)
    }
}

/// The same errors as printed by the real executable.
@Suite(.enabled(if: ServeBinary.url != nil, "the mnist-cnn binary is not built next to the test bundle"))
struct ServeBinaryConfigurationTests {
    @Test func missingModelExitsNonZeroWithTheMessage() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-serve-test")
        defer { directory.remove() }
        let result = try ServeBinary.run(["serve", "--model", "/nonexistent/model.safetensors",
                                          "--state-dir", directory.file("state"), "--host", "127.0.0.1", "--port", "0"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("model file /nonexistent/model.safetensors does not exist"), "\(result.standardError)")
        #expect(result.standardError.contains("--model"))
    }

    /// A memory budget that is not a byte count is refused with the flag and the forms it takes.
    @Test func badMemoryBudgetExitsNonZeroSayingWhatItTakes() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-serve-test")
        defer { directory.remove() }
        let result = try ServeBinary.run(["serve", "--model", try TestModel.requirePath(), "--state-dir", directory.file("state"),
                                          "--host", "127.0.0.1", "--port", "0", "--memory-budget", "lots"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("'lots'") && result.standardError.contains("256Mi"), "\(result.standardError)")
        #expect(result.standardError.contains("MNIST_CNN_MEMORY_BUDGET"))
    }

    @Test func portInUseExitsNonZeroNamingThePort() throws {
        let first = try ServiceHarness()
        defer { first.stop() }
        let result = try ServeBinary.run(["serve", "--model", try TestModel.requirePath(), "--state-dir", first.stateDirectory.file("cli"),
                                          "--host", "127.0.0.1", "--port", String(first.port)])
        #expect(result.status != 0)
        #expect(result.standardError.contains(String(first.port)), "\(result.standardError)")
        #expect(result.standardError.contains("--port"), "says what to do: \(result.standardError)")
        #expect(result.standardError.contains("MNIST_CNN_PORT"))
    }
}

/// The `mnist-cnn` executable SwiftPM builds into the same directory as the test bundle.
enum ServeBinary {
    static var url: URL? {
        var directory = Bundle.main.bundleURL
        // On Linux the bundle is the .xctest executable itself; on macOS a bundle directory.
        if directory.pathExtension != "xctest" { directory = Bundle.main.executableURL ?? directory }
        while directory.pathExtension != "xctest" && directory.path != "/" { directory.deleteLastPathComponent() }
        let candidate = directory.deletingLastPathComponent().appendingPathComponent("mnist-cnn")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    struct Result {
        var status: Int32
        var standardError: String
    }

    /// Runs the binary to completion (it must exit by itself: every use here is a start-up
    /// failure; a watchdog ends it otherwise) with MNIST_CNN_* variables removed so only the
    /// flags count.
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        let executable: URL = try #require(url)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MNIST_CNN_") && $0.key != "MNIST_DIR" }
        let standardError = Pipe()
        process.standardError = standardError
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A binary that unexpectedly starts serving would never exit: stop it after 30 s.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        let data = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Result(status: process.terminationStatus, standardError: String(decoding: data, as: UTF8.self))
    }
}
