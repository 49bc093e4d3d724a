import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTData

/// Flags fall back to environment variables (the contract's names), then to defaults.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `MNIST_DIR`, else the directory `mnist-cnn data download` fills (when it holds the
    /// files), else `data/mnist`.
    static var mnistDirectory: String { MNISTDirectory.resolve() ?? "data/mnist" }
    static var modelPath: String { value("MNIST_CNN_MODEL") ?? "models/mnist-cnn.safetensors" }
}

/// A failure the user can act on: printed to stderr as one line, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func printError(_ message: String) {
    StandardError.write("mnist-cnn: \(message)\n")
}

/// Runs `body`, turning any error into a one-line message and exit code 1 (no stack traces).
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode.failure
    }
}

func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
