import MNISTData
import TensorCore

/// Post-training int8 quantization of a trained network on MNIST: calibration on training
/// images, and the comparison of int8 with fp32 on a labelled set.
public enum Int8Quantization {
    /// Calibration images by default: enough for stable per-tensor scales, a second to run.
    public static let defaultCalibrationImages = 1024

    /// Measures activation scales on the first `images` images of `trainingSet`. The shipped
    /// recipe holds out the *last* 10 % of the training file for validation, so these are
    /// images the model trained on; never pass the test set.
    public static func calibrate(_ network: Network, trainingSet: MNISTDataset,
                                 images: Int = defaultCalibrationImages, percentile: Double = 1) throws -> Int8Calibration {
        let count = min(images, trainingSet.count)
        precondition(count > 0, "calibration needs at least one image")
        var input = [Float](repeating: 0, count: count * trainingSet.pixelsPerImage)
        input.withUnsafeMutableBufferPointer { trainingSet.writeImages(at: 0..<count, into: $0.baseAddress!) }
        return try input.withUnsafeBufferPointer {
            try Int8Calibration.measure(network: network, images: $0.baseAddress!, count: count,
                                        source: "train[0..<\(count)]", percentile: percentile)
        }
    }

    /// fp32 and int8 on the same images: each one's accuracy and how often they agree.
    public static func compare(_ network: Network, _ quantized: QuantizedNetwork,
                               on dataset: MNISTDataset) -> PrecisionComparison {
        let (fp32, fp32Predictions) = Evaluation.run(classes: network.classes, on: dataset) { network.forward($0, batch: $1) }
        let (int8, int8Predictions) = Evaluation.run(classes: quantized.classes, on: dataset) { quantized.forward($0, batch: $1) }
        let agreeing = zip(fp32Predictions, int8Predictions).filter { $0 == $1 }.count
        return PrecisionComparison(fp32: fp32, int8: int8, agreeing: agreeing,
                                   instructionSet: quantized.instructionSet.rawValue)
    }
}

/// fp32 and int8 on the same labelled images (what `mnist-cnn evaluate` prints for a
/// calibrated model).
public struct PrecisionComparison: Sendable {
    public var fp32: Evaluation
    public var int8: Evaluation
    /// Images where int8 and fp32 predict the same digit.
    public var agreeing: Int
    /// The int8 kernel that ran.
    public var instructionSet: String

    public var agreement: Double { fp32.count == 0 ? 0 : Double(agreeing) / Double(fp32.count) }
}
