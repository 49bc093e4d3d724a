import Foundation
import Testing
import TestSupport
@testable import Service

/// `mnist-cnn token`: what operators and scripts use to read the generated admin token.
@Suite struct TokenCommandTests {
    /// Runs the built executable with `arguments`; its exit status, stdout and stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let binary = try #require(RestartTests.binary, "mnist-cnn is not built next to the tests (swift build builds it)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MNIST_CNN_STATE_DIR"] = nil
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus,
                String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// It prints exactly the token the service generated, one line; without one it fails and
    /// says how the token comes to be, on stderr.
    @Test func printsTheGeneratedToken() throws {
        let directory = try TemporaryDirectory(prefix: "token-command")
        defer { directory.remove() }
        let missing = try Self.run(["token", "--state-dir", directory.path])
        #expect(missing.status == 1)
        #expect(missing.output.isEmpty)
        #expect(missing.error.contains("no admin token at") && missing.error.contains("first start"), "\(missing.error)")

        let (token, _) = try AdminToken.resolve(configured: nil, state: StateDirectory(root: directory.path))
        let printed = try Self.run(["token", "--state-dir", directory.path])
        #expect(printed.status == 0)
        #expect(printed.output == token + "\n")
    }
}
