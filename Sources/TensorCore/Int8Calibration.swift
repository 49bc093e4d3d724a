#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What post-training static quantization learns from calibration images: one scale per
/// requantized activation (the output of each convolution or linear layer followed by a ReLU,
/// in layer order). Weight scales are not stored: they follow from the fp32 weights (per
/// output channel, max |w| / 64), so the model file's tensors stay the fp32 ones and the file
/// still loads in PyTorch. Stored as JSON in the file's `__metadata__` under `metadataKey`.
public struct Int8Calibration: Codable, Hashable, Sendable {
    /// The metadata key the calibration lives under.
    public static let metadataKey = "int8_calibration"
    /// The scheme this code implements; a file with another is not used for int8.
    public static let currentScheme = "u8-activations-per-tensor/s8-weights-per-channel-64/v1"

    public var scheme: String
    /// Real value of one step of each requantized u8 activation (u8 v means v · scale; zero point 0).
    public var activationScales: [Float]
    /// Which images the scales were measured on (training images; never the test set).
    public var source: String
    public var images: Int
    /// How a scale follows from the observed activations: the `percentile` of each tensor's
    /// values over all calibration images, divided by 255.
    public var percentile: Double

    enum CodingKeys: String, CodingKey {
        case scheme, source, images, percentile
        case activationScales = "activation_scales"
    }

    public init(activationScales: [Float], source: String, images: Int, percentile: Double) {
        scheme = Self.currentScheme
        self.activationScales = activationScales
        self.source = source
        self.images = images
        self.percentile = percentile
    }

    /// The compact JSON stored in metadata.
    public func metadataValue() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The calibration in `metadata`, nil when there is none; throws when it is there but unusable.
    public static func from(metadata: [String: String]) throws -> Int8Calibration? {
        guard let text = metadata[metadataKey] else { return nil }
        let calibration: Int8Calibration
        do {
            calibration = try JSONDecoder().decode(Int8Calibration.self, from: Data(text.utf8))
        } catch {
            throw QuantizationError.badCalibration("\(metadataKey) is not valid calibration JSON: \(error)")
        }
        guard calibration.scheme == currentScheme else {
            throw QuantizationError.badCalibration("scheme \(calibration.scheme) is not \(currentScheme)")
        }
        return calibration
    }

    /// Measures the activation scales of `network` on `count` images (NHWC floats, the
    /// network's input), running its fp32 inference in chunks.
    ///
    /// - Parameter percentile: which quantile of each activation tensor's values maps to 255
    ///   (1 = the maximum); larger values saturate.
    public static func measure(network: Network, images: UnsafePointer<Float>, count: Int, source: String,
                               percentile: Double = 1) throws -> Int8Calibration {
        precondition(count > 0 && percentile > 0 && percentile <= 1)
        let points = try QuantizedNetwork.plan(network).requantizedLayers
        // The maximum needs no copy of the values; other quantiles sort them all.
        let keepsValues = percentile < 1
        var samples = [[Float]](repeating: [], count: points.count)
        var largest = [Float](repeating: 0, count: points.count)
        let chunk = 256
        var start = 0
        while start < count {
            let batch = min(chunk, count - start)
            _ = network.forward(images + start * network.inputCount, batch: batch)
            for (i, layer) in points.enumerated() {
                let size = network.layers[layer].outputShape.count * batch
                let values = UnsafeBufferPointer(start: network.inferenceActivation(afterLayer: layer), count: size)
                if keepsValues {
                    // The positive values only: zeros (ReLU's cut) would dominate the quantiles.
                    samples[i].append(contentsOf: values.lazy.filter { $0 > 0 })
                } else {
                    largest[i] = values.reduce(largest[i]) { max($0, $1) }
                }
            }
            start += batch
        }
        let scales = points.indices.map { i -> Float in
            var top = largest[i]
            if keepsValues, !samples[i].isEmpty {
                let sorted = samples[i].sorted()
                top = sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * percentile).rounded()))]
            }
            return top > 0 ? top / 255 : 1
        }
        return Int8Calibration(activationScales: scales, source: source, images: count, percentile: percentile)
    }
}

/// Why a network cannot be quantized, or a calibration cannot be used with it.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case unsupportedLayer(index: Int, reason: String)
    case badCalibration(String)
    case instructionSetUnavailable(String)

    public var description: String {
        switch self {
        case let .unsupportedLayer(index, reason): return "layer \(index) cannot run in int8: \(reason)"
        case let .badCalibration(reason): return "int8 calibration unusable: \(reason)"
        case let .instructionSetUnavailable(name): return "the int8 kernel for \(name) does not run on this CPU"
        }
    }
}
