// Fully connected layer y = x·W + b over a batch of vectors.
//
// Layouts (internal; the model file converts to PyTorch's [out, in], and permutes `in` from
// our NHWC flatten order to PyTorch's CHW when a flatten of an image precedes):
//   weight  [in][out]   (the GEMM's B operand as it stands)
//   bias    [out]

public final class Linear: Layer {
    public let spec: LayerSpec
    public let inputShape: ImageShape
    public let outputShape: ImageShape
    public var fusedReLU = false
    /// The batch norm that follows, applied at inference through this layer's weights.
    public internal(set) var foldedNorm: BatchNorm?

    public var weight: UnsafeMutablePointer<Float>! // [in][out]
    public var bias: UnsafeMutablePointer<Float>! // [out]
    var gradients: UnsafeMutablePointer<Float>!

    let inputs: Int, outputs: Int
    private var rowOffsets = Buffer<Int>(count: 0) // b * in, [B]
    private var gradientRowOffsets = Buffer<Int>(count: 0) // b * out, [B]
    private let featureOffsets: Buffer<Int> // 0..<max(in, out)
    private var transposedWeight: FloatBuffer // [out][in]
    /// Inference: the parameters with the norm folded in, and their copy for the kernel that
    /// runs them (`dotRows` reads [out][in]; the GEMM its padded [in][out]).
    private let folded: FoldedParameters
    private var foldedTransposed = FloatBuffer(count: 0)
    private var foldedTransposedVersion = -1
    private let foldedPacked: PackedWeights
    private let partial: PartialGradients
    private let packed: PackedWeights
    private let scratch: GEMMScratch

    public init(spec: LayerSpec, input: ImageShape, output: ImageShape) {
        self.spec = spec
        inputShape = input
        outputShape = output
        inputs = input.count
        outputs = output.count
        featureOffsets = IdentityOffsets.make(max(inputs, outputs))
        transposedWeight = FloatBuffer(count: inputs * outputs)
        partial = PartialGradients(count: inputs * outputs + outputs)
        packed = PackedWeights(rows: inputs, columns: outputs)
        folded = FoldedParameters(rows: inputs, columns: outputs)
        foldedPacked = PackedWeights(rows: inputs, columns: outputs)
        scratch = GEMMScratch(count: GEMMKernel.largestScratchCount)
    }

    public var parameterCount: Int { inputs * outputs + outputs }
    public var multiplyAdds: Int { inputs * outputs }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>) {
        weight = parameters
        bias = parameters + inputs * outputs
        self.gradients = gradients
    }

    public func initialize(using generator: inout SeededGenerator, scheme: WeightInitialization) {
        scheme.draw(weight, count: inputs * outputs, fanIn: inputs, fanOut: outputs, using: &generator)
        bias.update(repeating: 0, count: outputs)
    }

    public func reserve(batch: Int, partitions: Int, training: Bool) {
        scratch.reserve(partitions: partitions)
        if training { partial.reserve(partitions: partitions) }
        if rowOffsets.count < batch {
            rowOffsets = IdentityOffsets.make(batch, stride: inputs)
            gradientRowOffsets = IdentityOffsets.make(batch, stride: outputs)
        }
    }

    /// Whether inference runs as dot products of rows: for outputs narrower than the GEMM's
    /// tile (a classifier's logits), where its one-row path is a single chain of FMAs through
    /// all the inputs. Training keeps the GEMM; the two agree to float rounding.
    func usesDotRows(_ gemm: GEMMKernel) -> Bool { outputs < gemm.nr }

    /// Clamp at zero at inference: a ReLU follows this layer, or follows the folded norm.
    private var inferenceReLU: Bool { fusedReLU || (foldedNorm?.fusedReLU ?? false) }

    public func prepareForInference(parameterVersion: Int, gemm: GEMMKernel) {
        folded.update(weight: weight, bias: bias, norm: foldedNorm, parameterVersion: parameterVersion, gemm: gemm)
        guard usesDotRows(gemm) else {
            foldedPacked.prepare(folded.weight!, nr: gemm.nr, parameterVersion: parameterVersion)
            return
        }
        guard foldedTransposedVersion != parameterVersion else { return }
        foldedTransposedVersion = parameterVersion
        if foldedTransposed.count != inputs * outputs { foldedTransposed = FloatBuffer(count: inputs * outputs) }
        let weight = folded.weight!
        for i in 0..<inputs {
            for o in 0..<outputs { foldedTransposed.pointer[o * inputs + i] = weight[i * outputs + o] }
        }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        if context.training {
            forwardGEMM(input: input, output: output, b: packed.operand(weight, context: context), bias: bias,
                        relu: fusedReLU, context: context)
            return
        }
        precondition(folded.version == context.parameterVersion, "an inference pass needs prepareForInference first")
        guard usesDotRows(context.gemm) else {
            forwardGEMM(input: input, output: output, b: foldedPacked.operand(folded.weight!, context: context),
                        bias: folded.bias!, relu: inferenceReLU, context: context)
            return
        }
        let bias = folded.bias!, relu = inferenceReLU
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            guard !images.isEmpty else { return }
            context.gemm.dotRows(output + images.lowerBound * outputs, outputs, input + images.lowerBound * inputs, inputs,
                                 foldedTransposed.pointer, images.count, outputs, inputs, bias, relu)
        }
    }

    private func forwardGEMM(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             b: (pointer: UnsafePointer<Float>, ldb: Int, padded: Bool), bias: UnsafePointer<Float>,
                             relu: Bool, context: PassContext) {
        // One image is one row of C, its weights read once: split by columns instead, at a
        // multiple of the kernel's widest column block so every column is computed as in the
        // whole, and each thread streams half of them.
        let block = 2 * context.gemm.nr
        if let helper = context.splitImage, outputs >= 2 * block {
            let image = context.firstImage, split = outputs / 2 / block * block
            helper.run { half in
                let columns = half == 0 ? 0..<split : split..<outputs
                context.gemm.gatherGEMM(
                    c: output + image * outputs + columns.lowerBound, ldc: outputs,
                    a: input, rowOffsets: rowOffsets.pointer + image, colOffsets: featureOffsets.pointer,
                    b: b.pointer + columns.lowerBound, ldb: b.ldb, bIsPadded: b.padded, m: 1, n: columns.count, k: inputs,
                    bias: bias + columns.lowerBound, relu: relu, scratch: scratch.pointer(context.slot(half)))
            }
            return
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            guard !images.isEmpty else { return }
            context.gemm.gatherGEMM(
                c: output + images.lowerBound * outputs, ldc: outputs,
                a: input, rowOffsets: rowOffsets.pointer + images.lowerBound, colOffsets: featureOffsets.pointer,
                b: b.pointer, ldb: b.ldb, bIsPadded: b.padded, m: images.count, n: outputs, k: inputs,
                bias: bias, relu: relu, scratch: scratch.pointer(context.slot(p)))
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        if inputGradient != nil {
            // Local pointers: the implicitly unwrapped property would be checked per element.
            let weight: UnsafeMutablePointer<Float> = weight, transposed = transposedWeight.pointer
            for i in 0..<inputs {
                for o in 0..<outputs { transposed[o * inputs + i] = weight[i * outputs + o] }
            }
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            let gradient = partial.slice(p)
            guard !images.isEmpty else {
                gradient.update(repeating: 0, count: partial.count)
                return
            }
            let dOut = outputGradient + images.lowerBound * outputs
            // dW[i][o] = Σ_b x[b][i] · dy[b][o]
            context.gemm.gatherGEMM(
                c: gradient, ldc: outputs,
                a: input, rowOffsets: featureOffsets.pointer, colOffsets: rowOffsets.pointer + images.lowerBound,
                b: dOut, ldb: outputs, m: inputs, n: outputs, k: images.count,
                scratch: scratch.pointer(context.slot(p)))
            let biasGradient = gradient + inputs * outputs
            biasGradient.update(repeating: 0, count: outputs)
            for b in 0..<images.count {
                for o in 0..<outputs { biasGradient[o] += dOut[b * outputs + o] }
            }
            if let inputGradient {
                // dx[b][i] = Σ_o dy[b][o] · W[i][o]
                context.gemm.gatherGEMM(
                    c: inputGradient + images.lowerBound * inputs, ldc: inputs,
                    a: outputGradient, rowOffsets: gradientRowOffsets.pointer + images.lowerBound,
                    colOffsets: featureOffsets.pointer,
                    b: transposedWeight.pointer, ldb: inputs, m: images.count, n: inputs, k: outputs,
                    scratch: scratch.pointer(context.slot(p)))
            }
        }
        partial.reduce(into: gradients, context: context)
    }
}
