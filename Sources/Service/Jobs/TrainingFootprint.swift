import TensorCore
import Training

/// What a training job will need, worked out from its architecture and batch size before it is
/// queued, so a job that would take the process down (one `conv2d` with 4096 channels at batch
/// 128 wants gigabytes) is refused at submit with the figures, instead of being killed, resumed
/// at the next start and killed again.
///
/// An upper estimate of the process's peak for the job, in floats of 4 bytes:
/// - parameters: weights, gradients and the optimizer's two moments (4 per parameter), and the
///   copies an epoch's checkpoint makes while it is encoded (up to 6 more);
/// - activations: every layer's output for the whole batch, kept for backward, and a gradient
///   buffer of the same size;
/// - scratch: each thread's im2col panel for the largest convolution (one image at a time).
/// The training set itself (about 220 MB for MNIST's 70 000 images as floats) is loaded once
/// and shared by every job, so it is not counted.
public struct TrainingFootprint: Equatable, Sendable {
    public var parameters: Int
    public var parameterBytes: Int
    public var activationBytes: Int
    public var scratchBytes: Int
    /// Forward multiply-adds per image (a backward pass costs about twice that again).
    public var multiplyAddsPerImage: Int

    public var totalBytes: Int { parameterBytes + activationBytes + scratchBytes }

    /// - Throws: `ArchitectureError` for an architecture whose layers do not fit together.
    public init(configuration: TrainingConfiguration) throws {
        let architecture = configuration.architecture
        let shapes = try architecture.shapes()
        var parameters = 0, activations = architecture.input.count, scratch = 0, multiplyAdds = 0
        var input = architecture.input
        for (layer, output) in zip(architecture.layers, shapes) {
            parameters += Self.parameters(of: layer, input: input, output: output)
            switch layer {
            case let .conv2d(out, k, _, _):
                let reduction = k * k * input.channels
                scratch = max(scratch, reduction * output.height * output.width)
                multiplyAdds += reduction * out * output.height * output.width
            case .linear(let out):
                multiplyAdds += input.count * out
            case .batchNorm, .maxPool2d, .relu, .dropout, .flatten:
                break
            }
            activations += output.count
            input = output
        }
        let float = MemoryLayout<Float>.size
        self.parameters = parameters
        parameterBytes = 10 * parameters * float
        activationBytes = 2 * activations * configuration.batchSize * float
        scratchBytes = scratch * max(1, configuration.threads) * float
        multiplyAddsPerImage = multiplyAdds
    }

    /// Trainable floats of a whole architecture, from its description alone (nothing allocated).
    /// - Throws: `ArchitectureError` when its layers do not fit together.
    public static func parameterCount(of architecture: Architecture) throws -> Int {
        var input = architecture.input, count = 0
        for (layer, output) in zip(architecture.layers, try architecture.shapes()) {
            count += parameters(of: layer, input: input, output: output)
            input = output
        }
        return count
    }

    /// Trainable floats of one layer: weights and biases, or a batch norm's scale and shift.
    static func parameters(of layer: LayerSpec, input: ImageShape, output: ImageShape) -> Int {
        switch layer {
        case let .conv2d(out, k, _, _): return k * k * input.channels * out + out
        case .linear(let out): return input.count * out + out
        case .batchNorm: return 2 * output.channels
        case .maxPool2d, .relu, .dropout, .flatten: return 0
        }
    }

    /// "about 4.2 GB (parameters 1.2 MB, activations 4.1 GB, scratch 10 MB)".
    public var summary: String {
        "about \(Self.format(totalBytes)) (parameters \(Self.format(parameterBytes)) for \(parameters) weights, "
            + "activations \(Self.format(activationBytes)), scratch \(Self.format(scratchBytes)))"
    }

    /// Bytes in MB or GB (decimal, one decimal place).
    static func format(_ bytes: Int) -> String {
        let megabytes = Double(bytes) / 1e6
        if megabytes >= 1000 { return "\((megabytes / 100).rounded() / 10) GB" }
        return "\((megabytes * 10).rounded() / 10) MB"
    }
}
