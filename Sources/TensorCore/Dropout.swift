/// Inverted dropout: in training each value is kept with probability 1 - p and scaled by
/// 1 / (1 - p); at inference it is the identity. Each image draws its mask from the step seed
/// and its own index, so the masks do not depend on the thread count.
public final class Dropout: Layer {
    public let spec: LayerSpec
    public let inputShape: ImageShape
    public var outputShape: ImageShape { inputShape }
    public var isInPlace: Bool { true }
    public let probability: Float
    private var mask = FloatBuffer(count: 0) // [B][n]: 0 or 1/(1-p)
    /// Distinguishes this layer's stream from other dropout layers'.
    let layerIndex: UInt64

    public init(spec: LayerSpec, input: ImageShape, layerIndex: Int) {
        guard case let .dropout(p) = spec else { preconditionFailure("not a dropout spec") }
        self.spec = spec
        inputShape = input
        probability = p
        self.layerIndex = UInt64(layerIndex)
    }

    public func reserve(batch: Int, partitions: Int, training: Bool) {
        if training && mask.count < batch * inputShape.count { mask = FloatBuffer(count: batch * inputShape.count) }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        let n = inputShape.count
        guard context.training && probability > 0 else {
            guard input != UnsafePointer(output) else { return }
            context.pool.run(partitions: context.partitions) { p in
                let images = context.images(of: p)
                (output + images.lowerBound * n).update(from: input + images.lowerBound * n, count: images.count * n)
            }
            return
        }
        let keep = 1 - probability, scale = 1 / keep
        context.pool.run(partitions: context.partitions) { p in
            for image in context.images(of: p) {
                var generator = SeededGenerator(seed: context.stepSeed ^ (layerIndex << 48), stream: UInt64(image))
                let m = mask.pointer + image * n
                for i in 0..<n {
                    m[i] = generator.nextUnitFloat() < keep ? scale : 0
                    output[image * n + i] = input[image * n + i] * m[i]
                }
            }
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        guard let inputGradient else { return }
        let n = inputShape.count
        if probability == 0 {
            if UnsafePointer(inputGradient) != outputGradient {
                inputGradient.update(from: outputGradient, count: context.batch * n)
            }
            return
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            for i in (images.lowerBound * n)..<(images.upperBound * n) { inputGradient[i] = outputGradient[i] * mask.pointer[i] }
        }
    }
}
