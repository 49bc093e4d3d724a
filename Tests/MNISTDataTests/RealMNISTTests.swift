import Testing
import MNISTData
import TestSupport

/// Checks against the real MNIST files when `MNIST_DIR` points at them; skipped (visibly)
/// without it on a developer machine, failing in CI.
@Suite struct RealMNISTTests {
    /// The known facts of the test set: 10,000 images of 28x28, first label 7, mean intensity 0.1325.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
    func testSetMatchesKnownFacts() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let test = try MNISTDataset.load(directory: directory, split: .test)
        #expect(test.count == 10_000 && test.rows == 28 && test.columns == 28)
        #expect(test.labels.first == 7)
        let mean = Double(test.images.reduce(0) { $0 + Int($1) }) / Double(test.images.count) / 255
        #expect(abs(mean - 0.1325) <= 0.001)
    }

    /// The training set has 60,000 labelled 28x28 images, first label 5.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
    func trainSetMatchesKnownFacts() throws {
        let directory = try #require(try TestData.mnistDirectory())
        let train = try MNISTDataset.load(directory: directory, split: .train)
        #expect(train.count == 60_000 && train.rows == 28 && train.columns == 28)
        #expect(train.labels.first == 5)
    }
}

/// The skip-or-fail policy of `TestData.mnistDirectory`.
@Suite struct TestDataPolicyTests {
    @Test func usesMNISTDirWhenSet() throws {
        #expect(try TestData.mnistDirectory(environment: ["MNIST_DIR": "/data"]) == "/data")
        #expect(try TestData.mnistDirectory(environment: ["MNIST_DIR": "/data", "CI": "true"]) == "/data")
        #expect(TestData.runsMNISTTests(environment: ["MNIST_DIR": "/data"]))
    }

    /// Outside CI a missing directory means skip.
    @Test func skipsOutsideCI() throws {
        #expect(try TestData.mnistDirectory(environment: [:]) == nil)
        #expect(TestData.runsMNISTTests(environment: ["MNIST_DIR": ""]) == false)
    }

    /// In CI a missing directory is a failure, not a skip.
    @Test func failsInCI() {
        #expect(TestData.runsMNISTTests(environment: ["CI": "1"]))
        #expect(throws: TestData.MissingInCI.self) { try TestData.mnistDirectory(environment: ["CI": "1"]) }
    }
}
