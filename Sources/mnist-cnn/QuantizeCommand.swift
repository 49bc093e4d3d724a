import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTData
import ModelFile
import TensorCore
import Training
import Platform

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Calibrate a model for int8 inference and record the calibration in its metadata.",
        discussion: """
            Runs the fp32 network over the first --images training images (never the test set) \
            and stores one scale per quantized activation under "int8_calibration" in the file's \
            __metadata__. The tensors are written back unchanged, so the file still loads in \
            PyTorch; `serve --precision int8|auto` and `evaluate` then use it.
            """)

    @Option(help: "Model file to calibrate (env MNIST_CNN_MODEL).") var model: String?
    @Option(help: "Directory with the MNIST IDX files (env MNIST_DIR).") var mnistDir: String?
    @Option(help: "Where to write the calibrated model (default: the model file itself, replaced atomically).")
    var out: String?
    @Option(help: "Calibration images, the first N of the training file.")
    var images: Int = Int8Quantization.defaultCalibrationImages
    @Option(help: "Quantile of each activation's positive values that maps to 255 (1 = the maximum).")
    var percentile: Double = 1
    @Option(help: "Threads (default: all cores).") var threads: Int = CPUBudget.cores
    @Flag(help: "Print the calibration as one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            guard images >= 1 else { throw CommandFailure("--images must be at least 1") }
            guard percentile > 0, percentile <= 1 else { throw CommandFailure("--percentile must be in (0, 1]") }
            let path = model ?? Environment.modelPath
            var file = try SafeTensorsFile.read(path: path)
            let network = try Network.load(from: file, path: path, threads: max(1, threads))
            let training = try MNISTDataset.load(directory: mnistDir ?? Environment.mnistDirectory, split: .train)
            let calibration = try Int8Quantization.calibrate(network, trainingSet: training, images: images,
                                                             percentile: percentile)
            // Check the calibration builds an int8 network before writing it anywhere.
            _ = try QuantizedNetwork(network: network, calibration: calibration, instructionSet: .reference)
            try file.setInt8Calibration(calibration)
            let destination = out ?? path
            try file.write(path: destination)
            if json {
                print(try jsonLine(calibration))
                return
            }
            let scales = calibration.activationScales.map { String(cFormat: "%.4g", $0) }.joined(separator: ", ")
            print("\(destination): int8 calibration from \(calibration.source) (percentile \(percentile)); activation scales \(scales)")
        }
    }
}

/// `--int8-kernel` on evaluate, bench and serve.
extension Int8InstructionSet: ExpressibleByArgument {}
