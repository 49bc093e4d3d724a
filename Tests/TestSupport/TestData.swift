import Foundation
import MNISTData

/// Where tests find real data (`MNIST_DIR`, else the directory `mnist-cnn data download`
/// fills), and the policy for when it is missing: skip visibly on a developer machine, fail in
/// CI (issue 2: tests that need MNIST "must not silently skip in CI").
public enum TestData {
    /// Raised in CI (`CI` set) when `MNIST_DIR` is not, so that the test fails instead of skipping.
    public struct MissingInCI: Error, CustomStringConvertible {
        public let variable: String
        public var description: String { "CI is set but \(variable) is not: tests that need MNIST must run in CI" }
    }

    /// Whether tests that need MNIST should run: with `MNIST_DIR` set, or in CI (where they then
    /// fail through `mnistDirectory()`). Use as
    /// `@Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))`, so the skip shows.
    public static var runsMNISTTests: Bool { runsMNISTTests(environment: ProcessInfo.processInfo.environment) }

    /// `runsMNISTTests` for a given environment.
    public static func runsMNISTTests(environment: [String: String]) -> Bool {
        isSet(environment["MNIST_DIR"]) || isSet(environment["CI"]) || MNISTDirectory.resolve(environment: environment) != nil
    }

    /// The MNIST directory from `MNIST_DIR`; `nil` when unset outside CI (skip);
    /// throws `MissingInCI` when unset in CI (fail).
    public static func mnistDirectory() throws -> String? {
        try mnistDirectory(environment: ProcessInfo.processInfo.environment)
    }

    /// `mnistDirectory()` for a given environment.
    public static func mnistDirectory(environment: [String: String]) throws -> String? {
        if let directory = environment["MNIST_DIR"], isSet(directory) { return directory }
        // What `mnist-cnn data download` fills, so a newcomer runs `swift test` without setting anything.
        if let directory = MNISTDirectory.resolve(environment: environment) { return directory }
        if isSet(environment["CI"]) { throw MissingInCI(variable: "MNIST_DIR") }
        return nil
    }

    private static func isSet(_ value: String?) -> Bool {
        guard let value else { return false }
        return !value.isEmpty
    }
}
