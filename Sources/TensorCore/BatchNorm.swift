#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Batch normalization per channel: over B*H*W values after a convolution (BatchNorm2d), over
// B values after a linear layer (BatchNorm1d). NHWC makes both the same loop: rows of C.
//
// Layouts:
//   parameters  gamma [C], beta [C]
//   state       running_mean [C], running_var [C] (unbiased, as PyTorch keeps it),
//               num_batches_tracked [1] (a count, stored as a float)

public final class BatchNorm: Layer {
    public let spec: LayerSpec
    public let inputShape: ImageShape
    public var outputShape: ImageShape { inputShape }
    public let epsilon: Float, momentum: Float
    /// Set by the network when a ReLU follows: forward clamps, the ReLU layer skips.
    public var fusedReLU = false
    /// Set by the network when this norm follows a convolution or linear layer, which then
    /// applies it (folded into its weights) at inference; inference passes skip this layer.
    public internal(set) var isFolded = false

    public var gamma: UnsafeMutablePointer<Float>!, beta: UnsafeMutablePointer<Float>!
    public var runningMean: UnsafeMutablePointer<Float>!, runningVariance: UnsafeMutablePointer<Float>!
    public var batchesTracked: UnsafeMutablePointer<Float>!
    var gammaGradient: UnsafeMutablePointer<Float>!, betaGradient: UnsafeMutablePointer<Float>!

    let channels: Int
    private var normalized = FloatBuffer(count: 0) // x̂ [B*H*W][C]
    private let inverseStd: FloatBuffer // [C]
    private let mean: FloatBuffer // [C]
    let inferenceScale: FloatBuffer, inferenceShift: FloatBuffer // [C]
    private var inferenceVersion = -1
    private var partialSums = FloatBuffer(count: 0) // [partitions][2][C]
    private var reservedPartitions = 0

    public init(spec: LayerSpec, input: ImageShape) {
        guard case let .batchNorm(eps, momentum) = spec else { preconditionFailure("not a batchnorm spec") }
        self.spec = spec
        inputShape = input
        epsilon = eps
        self.momentum = momentum
        channels = input.channels
        inverseStd = FloatBuffer(count: channels)
        mean = FloatBuffer(count: channels)
        inferenceScale = FloatBuffer(count: channels)
        inferenceShift = FloatBuffer(count: channels)
    }

    public var parameterCount: Int { 2 * channels }
    public var stateCount: Int { 2 * channels + 1 }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>) {
        gamma = parameters; beta = parameters + channels
        gammaGradient = gradients; betaGradient = gradients + channels
        runningMean = state; runningVariance = state + channels; batchesTracked = state + 2 * channels
    }

    public func initialize(using generator: inout SeededGenerator, scheme: WeightInitialization) {
        gamma.update(repeating: 1, count: channels)
        beta.update(repeating: 0, count: channels)
        runningMean.update(repeating: 0, count: channels)
        runningVariance.update(repeating: 1, count: channels)
        batchesTracked.pointee = 0
    }

    public func prepareForInference(parameterVersion: Int, gemm: GEMMKernel) {
        guard inferenceVersion != parameterVersion else { return }
        inferenceVersion = parameterVersion
        for ch in 0..<channels {
            inferenceScale.pointer[ch] = gamma[ch] / (runningVariance[ch] + epsilon).squareRoot()
            inferenceShift.pointer[ch] = beta[ch] - runningMean[ch] * inferenceScale.pointer[ch]
        }
    }

    public func reserve(batch: Int, partitions: Int, training: Bool) {
        if training && normalized.count < batch * inputShape.count { normalized = FloatBuffer(count: batch * inputShape.count) }
        if partitions > reservedPartitions {
            partialSums = FloatBuffer(count: partitions * 2 * channels)
            reservedPartitions = partitions
        }
    }

    /// Rows of C values that partition p owns.
    @inline(__always)
    private func rows(_ p: Int, _ context: PassContext) -> Range<Int> {
        let images = context.images(of: p), perImage = inputShape.height * inputShape.width
        return (images.lowerBound * perImage)..<(images.upperBound * perImage)
    }

    /// Σ over partitions of per-partition sums, in partition order.
    private func reduceSums(_ context: PassContext, _ body: (Int, UnsafeMutablePointer<Float>) -> Void)
        -> UnsafeMutablePointer<Float> {
        let c2 = 2 * channels
        context.pool.run(partitions: context.partitions) { p in
            let sums = partialSums.pointer + p * c2
            sums.update(repeating: 0, count: c2)
            body(p, sums)
        }
        let total = partialSums.pointer
        for p in 1..<max(1, context.partitions) {
            let partial = total + p * c2
            for i in 0..<c2 { total[i] += partial[i] }
        }
        return total
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        // Locals, not the implicitly unwrapped properties: one nil check per pass instead of one
        // per value, so the per-channel loops below vectorize with the checks of a -O build.
        let c = channels, relu = fusedReLU, gamma: UnsafeMutablePointer<Float> = gamma, beta: UnsafeMutablePointer<Float> = beta
        if !context.training {
            // y = x·scale + shift with the running statistics (see prepareForInference).
            let scale = inferenceScale.pointer, shift = inferenceShift.pointer
            context.pool.run(partitions: context.partitions) { p in
                for row in rows(p, context) {
                    let x = input + row * c, y = output + row * c
                    for ch in 0..<c {
                        let v = x[ch] * scale[ch] + shift[ch]
                        y[ch] = relu ? max(v, 0) : v
                    }
                }
            }
            return
        }
        let count = Float(context.batch * inputShape.height * inputShape.width)
        // Two passes (mean, then variance about it) for accuracy.
        let sums = reduceSums(context) { p, sums in
            for row in rows(p, context) {
                let x = input + row * c
                for ch in 0..<c { sums[ch] += x[ch] }
            }
        }
        for ch in 0..<c { mean.pointer[ch] = sums[ch] / count }
        let meanPointer = mean.pointer
        let squares = reduceSums(context) { p, sums in
            for row in rows(p, context) {
                let x = input + row * c
                for ch in 0..<c {
                    let d = x[ch] - meanPointer[ch]
                    sums[ch] += d * d
                }
            }
        }
        let runningMean: UnsafeMutablePointer<Float> = runningMean, runningVariance: UnsafeMutablePointer<Float> = runningVariance
        for ch in 0..<c {
            let variance = squares[ch] / count
            inverseStd.pointer[ch] = 1 / (variance + epsilon).squareRoot()
            let unbiased = count > 1 ? variance * count / (count - 1) : variance
            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * meanPointer[ch]
            runningVariance[ch] = (1 - momentum) * runningVariance[ch] + momentum * unbiased
        }
        batchesTracked.pointee += 1
        let inv = inverseStd.pointer, xhat = normalized.pointer
        context.pool.run(partitions: context.partitions) { p in
            for row in rows(p, context) {
                let x = input + row * c, y = output + row * c, n = xhat + row * c
                for ch in 0..<c {
                    n[ch] = (x[ch] - meanPointer[ch]) * inv[ch]
                    let v = n[ch] * gamma[ch] + beta[ch]
                    y[ch] = relu ? max(v, 0) : v
                }
            }
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        let c = channels, xhat = normalized.pointer, gamma: UnsafeMutablePointer<Float> = gamma
        // Σ dy and Σ dy·x̂ per channel.
        let sums = reduceSums(context) { p, sums in
            let dySums = sums, dyXhatSums = sums + c
            for row in rows(p, context) {
                let dy = outputGradient + row * c, n = xhat + row * c
                for ch in 0..<c {
                    dySums[ch] += dy[ch]
                    dyXhatSums[ch] += dy[ch] * n[ch]
                }
            }
        }
        let dySums = sums, dyXhatSums = sums + c
        for ch in 0..<c {
            betaGradient[ch] += dySums[ch]
            gammaGradient[ch] += dyXhatSums[ch]
        }
        guard let inputGradient else { return }
        let count = Float(context.batch * inputShape.height * inputShape.width)
        let inv = inverseStd.pointer
        // dx = γ·inv/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
        context.pool.run(partitions: context.partitions) { p in
            for row in rows(p, context) {
                let dy = outputGradient + row * c, n = xhat + row * c, dx = inputGradient + row * c
                for ch in 0..<c {
                    dx[ch] = gamma[ch] * inv[ch] / count * (count * dy[ch] - dySums[ch] - n[ch] * dyXhatSums[ch])
                }
            }
        }
    }
}
