// Max pooling over NHWC images. Forward remembers where each maximum came from (training
// only); backward routes the gradient back to exactly that input.

public final class MaxPool2D: Layer {
    public let spec: LayerSpec
    public let inputShape: ImageShape
    public let outputShape: ImageShape
    public let kernelSize: Int, stride: Int
    /// For each output element, the offset of its maximum within its input image. [B][OH][OW][C]
    private var argmax = Buffer<Int32>(count: 0)

    public init(spec: LayerSpec, input: ImageShape, output: ImageShape) {
        guard case let .maxPool2d(k, s) = spec else { preconditionFailure("not a maxpool2d spec") }
        self.spec = spec
        inputShape = input
        outputShape = output
        kernelSize = k
        stride = s
    }

    public func reserve(batch: Int, partitions: Int, training: Bool) {
        if training && argmax.count < batch * outputShape.count { argmax = Buffer<Int32>(count: batch * outputShape.count) }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        let c = inputShape.channels, inW = inputShape.width, k = kernelSize, s = stride
        let outH = outputShape.height, outW = outputShape.width
        let saving = context.training
        if k == 2 && s == 2 && c % 8 == 0 && !saving {
            forwardTwoByTwo(input: input, output: output, context: context)
            return
        }
        context.pool.run(partitions: context.partitions) { p in
            for image in context.images(of: p) {
                let source = input + image * inputShape.count
                let destination = output + image * outputShape.count
                let indices = argmax.pointer + image * outputShape.count
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let out = (oh * outW + ow) * c
                        let first = (oh * s * inW + ow * s) * c
                        var ch = 0
                        // Eight channels at a time: NHWC keeps them contiguous in every tap.
                        while ch + 8 <= c {
                            var best = UnsafeRawPointer(source + first + ch).loadUnaligned(as: SIMD8<Float>.self)
                            var at = SIMD8<Int32>(repeating: Int32(first + ch)) &+ SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
                            for kh in 0..<k {
                                for kw in 0..<k where kh != 0 || kw != 0 {
                                    let offset = ((oh * s + kh) * inW + ow * s + kw) * c + ch
                                    let value = UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD8<Float>.self)
                                    let larger = value .> best
                                    best.replace(with: value, where: larger)
                                    if saving {
                                        at.replace(with: SIMD8<Int32>(repeating: Int32(offset)) &+ SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7),
                                                   where: larger)
                                    }
                                }
                            }
                            UnsafeMutableRawPointer(destination + out + ch).storeBytes(of: best, as: SIMD8<Float>.self)
                            if saving { UnsafeMutableRawPointer(indices + out + ch).storeBytes(of: at, as: SIMD8<Int32>.self) }
                            ch += 8
                        }
                        while ch < c {
                            var best = source[first + ch], at = first + ch
                            for kh in 0..<k {
                                for kw in 0..<k {
                                    let offset = ((oh * s + kh) * inW + ow * s + kw) * c + ch
                                    if source[offset] > best {
                                        best = source[offset]
                                        at = offset
                                    }
                                }
                            }
                            destination[out + ch] = best
                            if saving { indices[out + ch] = Int32(at) }
                            ch += 1
                        }
                    }
                }
            }
        }
    }

    /// The common case at inference: 2x2 windows, stride 2, channels in multiples of 8, in
    /// the kernel module of the CPU's instruction set.
    private func forwardTwoByTwo(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        let maxPool = context.gemm.maxPool2x2
        context.pool.run(partitions: context.partitions) { p in
            for image in context.images(of: p) {
                maxPool(input + image * inputShape.count, inputShape.height, inputShape.width, inputShape.channels,
                        output + image * outputShape.count)
            }
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        guard let inputGradient else { return }
        context.pool.run(partitions: context.partitions) { p in
            for image in context.images(of: p) {
                let destination = inputGradient + image * inputShape.count
                destination.update(repeating: 0, count: inputShape.count)
                let source = outputGradient + image * outputShape.count
                let indices = argmax.pointer + image * outputShape.count
                for i in 0..<outputShape.count { destination[Int(indices[i])] += source[i] }
            }
        }
    }
}
