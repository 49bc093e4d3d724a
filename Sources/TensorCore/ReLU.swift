/// max(0, x), in place. After a convolution or linear layer the GEMM epilogue already clamped
/// (`fused`), so forward has nothing left to do; backward masks by the output either way.
public final class ReLU: Layer {
    public let spec: LayerSpec = .relu
    public let inputShape: ImageShape
    public var outputShape: ImageShape { inputShape }
    public var isInPlace: Bool { true }
    public var fused = false

    public init(input: ImageShape) { inputShape = input }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        if fused && input == UnsafePointer(output) { return }
        let n = inputShape.count
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            for i in (images.lowerBound * n)..<(images.upperBound * n) { output[i] = max(input[i], 0) }
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        guard let inputGradient else { return }
        let n = inputShape.count
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            var i = images.lowerBound * n
            let end = images.upperBound * n
            while i + 8 <= end {
                let y = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD8<Float>.self)
                var g = UnsafeRawPointer(outputGradient + i).loadUnaligned(as: SIMD8<Float>.self)
                g.replace(with: 0, where: y .<= 0)
                UnsafeMutableRawPointer(inputGradient + i).storeBytes(of: g, as: SIMD8<Float>.self)
                i += 8
            }
            while i < end {
                inputGradient[i] = output[i] > 0 ? outputGradient[i] : 0
                i += 1
            }
        }
    }
}
