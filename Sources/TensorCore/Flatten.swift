/// NHWC images to vectors: the buffer is already in that order, so nothing moves. (PyTorch
/// flattens NCHW; the model file permutes the next linear layer's weights to match.)
public final class Flatten: Layer {
    public let spec: LayerSpec = .flatten
    public let inputShape: ImageShape
    public let outputShape: ImageShape
    public var isInPlace: Bool { true }

    public init(input: ImageShape) {
        inputShape = input
        outputShape = ImageShape(height: 1, width: 1, channels: input.count)
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        guard input != UnsafePointer(output) else { return }
        let n = inputShape.count
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            (output + images.lowerBound * n).update(from: input + images.lowerBound * n, count: images.count * n)
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        guard let inputGradient, UnsafePointer(inputGradient) != outputGradient else { return }
        inputGradient.update(from: outputGradient, count: context.batch * inputShape.count)
    }
}
