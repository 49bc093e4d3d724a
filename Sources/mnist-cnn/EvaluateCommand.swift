import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTData
import TensorCore
import Training
import Platform

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Accuracy of a model on the MNIST test set, with its confusion matrix.")

    @Option(help: "Model file (env MNIST_CNN_MODEL).") var model: String?
    @Option(help: "Directory with the MNIST IDX files (env MNIST_DIR).") var mnistDir: String?
    @Option(help: "Threads (default: all cores).") var threads: Int = CPUBudget.cores
    @Flag(help: "Print one JSON object: accuracy, correct, count, loss, confusion (and int8, agreement).") var json = false
    @Option(help: "int8 kernel when the model has int8 calibration: avx512_vnni, avx2, reference (default: the best this CPU has).")
    var int8Kernel: Int8InstructionSet?

    func run() throws {
        try reportingErrors {
            let path = model ?? Environment.modelPath
            let (network, metadata) = try TrainedModel.read(from: path, threads: max(1, threads))
            let testSet = try MNISTDataset.load(directory: mnistDir ?? Environment.mnistDirectory, split: .test)
            // With int8 calibration in the file, both precisions side by side.
            if let calibration = try Int8Calibration.from(metadata: metadata) {
                let quantized = try QuantizedNetwork(network: network, calibration: calibration,
                                                     instructionSet: int8Kernel ?? .best, threads: max(1, threads))
                let comparison = Int8Quantization.compare(network, quantized, on: testSet)
                if json {
                    print(try jsonLine(EvaluationWithInt8(fp32: comparison.fp32, int8: comparison)))
                    return
                }
                printEvaluation(comparison.fp32, path: path)
                print("int8 (\(comparison.instructionSet) kernel): accuracy \(String(cFormat: "%.2f", comparison.int8.accuracy * 100)) % "
                      + "(\(comparison.int8.correct)/\(comparison.int8.count)), agrees with fp32 on "
                      + "\(String(cFormat: "%.2f", comparison.agreement * 100)) % (\(comparison.agreeing)/\(comparison.fp32.count))")
                return
            }
            if int8Kernel != nil { throw CommandFailure("\(path) has no int8 calibration (run mnist-cnn quantize)") }
            let result = Evaluation.run(network, on: testSet)
            if json {
                print(try jsonLine(result))
                return
            }
            printEvaluation(result, path: path)
        }
    }

    private func printEvaluation(_ result: Evaluation, path: String) {
        print("\(path): accuracy \(String(cFormat: "%.2f", result.accuracy * 100)) % (\(result.correct)/\(result.count)), "
              + "loss \(String(cFormat: "%.4f", result.loss))")
        print("confusion (rows: label, columns: prediction)")
        print("     " + (0..<10).map { String(cFormat: "%5d", $0) }.joined())
        for (label, row) in result.confusion.enumerated() {
            print(String(cFormat: "%5d", label) + row.map { String(cFormat: "%5d", $0) }.joined())
        }
    }
}

/// `evaluate --json` for a calibrated model: the fp32 figures at the top level (as for any
/// model), the int8 ones and the agreement under `int8`.
private struct EvaluationWithInt8: Encodable {
    let fp32: Evaluation
    let int8: PrecisionComparison

    enum CodingKeys: String, CodingKey { case int8 }
    struct Int8Figures: Encodable {
        let evaluation: Evaluation
        let agreement: Double, agreeing: Int, kernel: String
        enum CodingKeys: String, CodingKey { case agreement, agreeing, kernel }
        func encode(to encoder: any Encoder) throws {
            try evaluation.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(agreement, forKey: .agreement)
            try c.encode(agreeing, forKey: .agreeing)
            try c.encode(kernel, forKey: .kernel)
        }
    }

    func encode(to encoder: any Encoder) throws {
        try fp32.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Int8Figures(evaluation: int8.int8, agreement: int8.agreement, agreeing: int8.agreeing,
                                 kernel: int8.instructionSet), forKey: .int8)
    }
}
