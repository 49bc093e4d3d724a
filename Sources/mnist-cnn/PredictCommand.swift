import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Imaging
import TensorCore
import Training

/// Classifies files with the same imaging module as `/predict`, so the CLI and the server
/// agree on every file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify image files: PNG, JPEG, PGM (P5/P2) or 784 raw bytes (28x28, MNIST polarity).")

    @Option(help: "Model file (env MNIST_CNN_MODEL).") var model: String?
    @Option(help: "auto (MNIST-style: polarity, bounding box, 20x20, centre of mass) or off.") var normalize = "auto"
    @Flag(help: "One JSON object per line: file, digit, confidence, probabilities.") var json = false
    @Argument(help: "Image files.") var files: [String]

    func run() throws {
        try reportingErrors {
            guard let mode = MNISTNormalizer.Mode(rawValue: normalize) else {
                throw CommandFailure("--normalize must be auto or off")
            }
            let path = model ?? Environment.modelPath
            let (network, _) = try TrainedModel.read(from: path)
            let normalizer = MNISTNormalizer(mode: mode)
            var failures = 0
            for file in files {
                do {
                    let bytes = try readFile(file)
                    let extensionFormat: ImageFormat? = switch URL(fileURLWithPath: file).pathExtension.lowercased() {
                    case "png": .png
                    case "jpg", "jpeg": .jpeg
                    case "pgm", "pnm": .pgm
                    case "raw", "bin", "gray": .raw784
                    default: nil
                    }
                    let sample = try normalizer.normalize(try ImageDecoder.decode(bytes, format: extensionFormat))
                    let probabilities = network.predict(sample.pixels, batch: 1)
                    var best = 0
                    for j in 1..<probabilities.count where probabilities[j] > probabilities[best] { best = j }
                    if json {
                        struct Line: Encodable { let file: String, digit: Int, confidence: Float, probabilities: [Float] }
                        print(try jsonLine(Line(file: file, digit: best, confidence: probabilities[best], probabilities: probabilities)))
                    } else {
                        print("\(file): \(best) (\(String(cFormat: "%.1f", probabilities[best] * 100)) %)")
                    }
                } catch {
                    failures += 1
                    printError("\(file): \(error)")
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }

    private func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file")
        }
        return [UInt8](data)
    }
}
