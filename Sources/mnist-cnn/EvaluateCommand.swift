import ArgumentParser
import Foundation
import MNISTData
import TensorCore
import Training

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Accuracy of a model on the MNIST test set, with its confusion matrix.")

    @Option(help: "Model file (env MNIST_CNN_MODEL).") var model: String?
    @Option(help: "Directory with the MNIST IDX files (env MNIST_DIR).") var mnistDir: String?
    @Option(help: "Threads (default: all cores).") var threads: Int = ThreadPool.availableCores
    @Flag(help: "Print one JSON object: accuracy, correct, count, loss, confusion.") var json = false

    func run() throws {
        try reportingErrors {
            let path = model ?? Environment.modelPath
            let (network, _) = try TrainedModel.read(from: path, threads: max(1, threads))
            let testSet = try MNISTDataset.load(directory: mnistDir ?? Environment.mnistDirectory, split: .test)
            let result = Evaluation.run(network, on: testSet)
            if json {
                print(try jsonLine(result))
                return
            }
            print("\(path): accuracy \(String(format: "%.2f", result.accuracy * 100)) % (\(result.correct)/\(result.count)), "
                  + "loss \(String(format: "%.4f", result.loss))")
            print("confusion (rows: label, columns: prediction)")
            print("     " + (0..<10).map { String(format: "%5d", $0) }.joined())
            for (label, row) in result.confusion.enumerated() {
                print(String(format: "%5d", label) + row.map { String(format: "%5d", $0) }.joined())
            }
        }
    }
}
