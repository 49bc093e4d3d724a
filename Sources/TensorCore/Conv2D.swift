// Conv2D over NHWC images as an implicit GEMM: no im2col copy on the forward pass.
//
// Glossary: B batch, H W Cin input, KH KW kernel, S stride, P padding, Hp Wp padded input,
// OH OW Cout output, K = KH*KW*Cin the reduction.
//
// Layouts (internal; the model file converts to PyTorch's [Cout, Cin, KH, KW]):
//   weight  [KH][KW][Cin][Cout]   (K x Cout: the GEMM's B operand as it stands)
//   bias    [Cout]

public final class Conv2D: Layer {
    public let spec: LayerSpec
    public let inputShape: ImageShape
    public let outputShape: ImageShape
    public let kernelSize: Int, stride: Int, padding: Int
    /// Set by the network when a ReLU follows: the GEMM epilogue clamps, the ReLU layer skips.
    public var fusedReLU = false
    /// The batch norm that follows, applied at inference through this layer's weights.
    public internal(set) var foldedNorm: BatchNorm?

    public var weight: UnsafeMutablePointer<Float>! // [KH][KW][Cin][Cout]
    public var bias: UnsafeMutablePointer<Float>! // [Cout]
    var weightGradient: UnsafeMutablePointer<Float>! // like weight, then bias

    let reduction: Int // K
    let paddedHeight: Int, paddedWidth: Int
    /// Offset of each tap (kh, kw, ci) from a pixel's base in the padded input.  [K]
    let tapOffsets: Buffer<Int>
    /// Base offset of each output pixel in the padded batch.  [B*OH*OW]
    private var pixelOffsets = Buffer<Int>(count: 0)
    /// dOut rows of one image for the input-gradient GEMM.  [OH*OW]
    let outputRowOffsets: Buffer<Int>
    let channelOffsets: Buffer<Int>
    private var padded = FloatBuffer(count: 0) // [B][Hp][Wp][Cin] when padding > 0
    private var transposedWeight: FloatBuffer // [Cout][K], or flipped [KH][KW][Cout][Cin] for stride 1
    private var columnGradient = FloatBuffer(count: 0) // per partition [OH*OW][K] (stride > 1)
    private var paddedInputGradient = FloatBuffer(count: 0) // per partition [Hp][Wp][Cin]
    /// Stride 1: dIn is a convolution of dOut, zero-padded by K-1, with the flipped kernel.
    private var paddedOutputGradient = FloatBuffer(count: 0) // per partition [OH+2K-2][OW+2K-2][Cout]
    private let flippedTapOffsets: Buffer<Int> // [KH*KW*Cout] in the padded dOut
    private let paddedPixelOffsets: Buffer<Int> // [Hp*Wp] in the padded dOut
    private var gradientWidth: Int { outputShape.width + 2 * kernelSize - 2 }
    private var gradientHeight: Int { outputShape.height + 2 * kernelSize - 2 }
    private let partial: PartialGradients
    private let packed: PackedWeights
    /// Inference: the weights with the norm folded in, and the GEMM's copy of them.
    private let folded: FoldedParameters
    private let foldedPacked: PackedWeights
    /// Winograd (inference): U, per-slot V and M buffers, and offset tables.
    private var winogradWeights = FloatBuffer(count: 0)
    private var winogradScratch: [FloatBuffer] = []
    private var winogradRowOffsets = Buffer<Int>(count: 0)
    private var winogradChannelOffsets = Buffer<Int>(count: 0)
    private var scratch: GEMMScratch
    private var reservedBatch = 0

    public init(spec: LayerSpec, input: ImageShape, output: ImageShape) {
        guard case let .conv2d(_, k, s, p) = spec else { preconditionFailure("not a conv2d spec") }
        self.spec = spec
        inputShape = input
        outputShape = output
        kernelSize = k; stride = s; padding = p
        reduction = k * k * input.channels
        paddedHeight = input.height + 2 * p
        paddedWidth = input.width + 2 * p
        tapOffsets = Buffer<Int>(count: reduction)
        var t = 0
        for kh in 0..<k {
            for kw in 0..<k {
                for ci in 0..<input.channels {
                    tapOffsets.pointer[t] = (kh * paddedWidth + kw) * input.channels + ci
                    t += 1
                }
            }
        }
        outputRowOffsets = IdentityOffsets.make(output.height * output.width, stride: output.channels)
        let gradientWidth = output.width + 2 * k - 2
        flippedTapOffsets = Buffer<Int>(count: k * k * output.channels)
        paddedPixelOffsets = Buffer<Int>(count: (input.height + 2 * p) * (input.width + 2 * p))
        if s == 1 {
            var t = 0
            for a in 0..<k {
                for b in 0..<k {
                    for co in 0..<output.channels {
                        flippedTapOffsets.pointer[t] = (a * gradientWidth + b) * output.channels + co
                        t += 1
                    }
                }
            }
            for y in 0..<(input.height + 2 * p) {
                for x in 0..<(input.width + 2 * p) {
                    paddedPixelOffsets.pointer[y * (input.width + 2 * p) + x] = (y * gradientWidth + x) * output.channels
                }
            }
        }
        channelOffsets = IdentityOffsets.make(output.channels)
        transposedWeight = FloatBuffer(count: reduction * output.channels)
        partial = PartialGradients(count: reduction * output.channels + output.channels)
        packed = PackedWeights(rows: reduction, columns: output.channels)
        folded = FoldedParameters(rows: reduction, columns: output.channels)
        foldedPacked = PackedWeights(rows: reduction, columns: output.channels)
        scratch = GEMMScratch(count: GEMMKernel.largestScratchCount)
    }

    public var parameterCount: Int { reduction * outputShape.channels + outputShape.channels }
    public var multiplyAdds: Int { outputShape.height * outputShape.width * outputShape.channels * reduction }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>) {
        weight = parameters
        bias = parameters + reduction * outputShape.channels
        weightGradient = gradients
    }

    public func initialize(using generator: inout SeededGenerator, scheme: WeightInitialization) {
        scheme.draw(weight, count: reduction * outputShape.channels, fanIn: reduction,
                    fanOut: kernelSize * kernelSize * outputShape.channels, using: &generator)
        bias.update(repeating: 0, count: outputShape.channels)
    }

    public func reserve(batch: Int, partitions: Int, training: Bool) {
        scratch.reserve(partitions: partitions)
        if supportsWinograd {
            let tiles = winogradStripRows * winogradTiles.columns
            while winogradScratch.count < partitions {
                winogradScratch.append(FloatBuffer(count: 16 * tiles * (inputShape.channels + outputShape.channels)))
            }
            if winogradRowOffsets.count == 0 {
                winogradRowOffsets = IdentityOffsets.make(tiles, stride: inputShape.channels)
                winogradChannelOffsets = IdentityOffsets.make(inputShape.channels)
            }
        }
        if training {
            partial.reserve(partitions: partitions)
            if paddedInputGradient.count < partitions * paddedHeight * paddedWidth * inputShape.channels {
                paddedInputGradient = FloatBuffer(count: partitions * paddedHeight * paddedWidth * inputShape.channels)
                if stride == 1 {
                    paddedOutputGradient = FloatBuffer(count: partitions * gradientHeight * gradientWidth * outputShape.channels)
                } else {
                    columnGradient = FloatBuffer(count: partitions * outputShape.height * outputShape.width * reduction)
                }
            }
        }
        guard batch > reservedBatch else { return }
        reservedBatch = batch
        let pixels = outputShape.height * outputShape.width
        let imageStride = paddedHeight * paddedWidth * inputShape.channels
        pixelOffsets = Buffer<Int>(count: batch * pixels)
        var i = 0
        for image in 0..<batch {
            for oh in 0..<outputShape.height {
                for ow in 0..<outputShape.width {
                    pixelOffsets.pointer[i] = image * imageStride
                        + (oh * stride * paddedWidth + ow * stride) * inputShape.channels
                    i += 1
                }
            }
        }
        if padding > 0 { padded = FloatBuffer(count: batch * imageStride) }
    }

    /// The input the GEMM reads: the input itself, or a zero-padded copy of it.
    private func paddedSource(_ input: UnsafePointer<Float>, images: Range<Int>) -> UnsafePointer<Float> {
        guard padding > 0 else { return input }
        let c = inputShape.channels, rowCount = inputShape.width * c
        let imageStride = paddedHeight * paddedWidth * c
        for image in images {
            let destination = padded.pointer + image * imageStride
            destination.update(repeating: 0, count: imageStride)
            for h in 0..<inputShape.height {
                (destination + ((h + padding) * paddedWidth + padding) * c)
                    .update(from: input + (image * inputShape.height + h) * rowCount, count: rowCount)
            }
        }
        return UnsafePointer(padded.pointer)
    }

    /// Clamp at zero at inference: a ReLU follows this layer, or follows the folded norm.
    private var inferenceReLU: Bool { fusedReLU || (foldedNorm?.fusedReLU ?? false) }

    public func prepareForInference(parameterVersion: Int, gemm: GEMMKernel) {
        let changed = folded.update(weight: weight, bias: bias, norm: foldedNorm, parameterVersion: parameterVersion,
                                    gemm: gemm)
        if supportsWinograd {
            // U depends only on the weights, not on the instruction set.
            guard changed else { return }
            if winogradWeights.count == 0 { winogradWeights = FloatBuffer(count: 16 * inputShape.channels * outputShape.channels) }
            transformWeights(folded.weight!, into: winogradWeights.pointer)
        } else {
            foldedPacked.prepare(folded.weight!, nr: gemm.nr, parameterVersion: parameterVersion)
        }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        if context.training {
            forwardDirect(input: input, output: output, b: packed.operand(weight, context: context), bias: bias,
                          relu: fusedReLU, context: context)
            return
        }
        precondition(folded.version == context.parameterVersion, "an inference pass needs prepareForInference first")
        if supportsWinograd {
            forwardWinograd(input: input, output: output, context: context)
        } else {
            forwardDirect(input: input, output: output, b: foldedPacked.operand(folded.weight!, context: context),
                          bias: folded.bias!, relu: inferenceReLU, context: context)
        }
    }

    /// The implicit GEMM over the whole batch with B operand `b`.
    private func forwardDirect(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               b: (pointer: UnsafePointer<Float>, ldb: Int, padded: Bool), bias: UnsafePointer<Float>,
                               relu: Bool, context: PassContext) {
        let pixels = outputShape.height * outputShape.width, cout = outputShape.channels
        if let helper = context.splitImage {
            // One image: its output rows in two halves, split at a multiple of the register
            // tile so each row is computed as in the whole.
            let image = context.firstImage
            let source = paddedSource(input, images: image..<(image + 1))
            let split = pixels / 2 / context.gemm.mr * context.gemm.mr
            helper.run { half in
                let rows = half == 0 ? 0..<split : split..<pixels
                context.gemm.gatherGEMM(
                    c: output + (image * pixels + rows.lowerBound) * cout, ldc: cout,
                    a: source, rowOffsets: pixelOffsets.pointer + image * pixels + rows.lowerBound,
                    colOffsets: tapOffsets.pointer,
                    b: b.pointer, ldb: b.ldb, bIsPadded: b.padded, m: rows.count, n: cout, k: reduction,
                    bias: bias, relu: relu, scratch: scratch.pointer(context.slot(half)))
            }
            return
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            guard !images.isEmpty else { return }
            let source = paddedSource(input, images: images)
            context.gemm.gatherGEMM(
                c: output + images.lowerBound * pixels * cout, ldc: cout,
                a: source, rowOffsets: pixelOffsets.pointer + images.lowerBound * pixels,
                colOffsets: tapOffsets.pointer,
                b: b.pointer, ldb: b.ldb, bIsPadded: b.padded, m: images.count * pixels, n: cout, k: reduction,
                bias: bias, relu: relu, scratch: scratch.pointer(context.slot(p)))
        }
    }

    /// Inference through Winograd F(2x2, 3x3), one image and one strip of tile rows
    /// (`winogradStripRows`) at a time, so V and M stay in L2. A single image's tile rows are
    /// split in two halves, each with its own V and M.
    private func forwardWinograd(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext) {
        let paddedImage = paddedHeight * paddedWidth * inputShape.channels
        if let helper = context.splitImage, winogradTiles.rows >= 2 {
            let image = context.firstImage
            let source = paddedSource(input, images: image..<(image + 1)) + image * (padding > 0 ? paddedImage : inputShape.count)
            let split = winogradTiles.rows / 2
            helper.run { half in
                winogradRows(half == 0 ? 0..<split : split..<winogradTiles.rows, of: source,
                             into: output + image * outputShape.count, slot: context.slot(half), gemm: context.gemm)
            }
            return
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            guard !images.isEmpty else { return }
            let source = paddedSource(input, images: images)
            for image in images {
                winogradRows(0..<winogradTiles.rows, of: source + image * (padding > 0 ? paddedImage : inputShape.count),
                             into: output + image * outputShape.count, slot: context.slot(p), gemm: context.gemm)
            }
        }
    }

    /// The outputs of tile rows `tileRows` of one image (`source`, padded), a strip at a time
    /// through scratch `slot`. Each tile is computed the same way whatever strip it falls in.
    private func winogradRows(_ tileRows: Range<Int>, of source: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                              slot: Int, gemm: GEMMKernel) {
        let cin = inputShape.channels, cout = outputShape.channels, columns = winogradTiles.columns
        let v = winogradScratch[slot].pointer, m = v + 16 * winogradStripRows * columns * cin
        var firstRow = tileRows.lowerBound
        while firstRow < tileRows.upperBound {
            let rows = min(winogradStripRows, tileRows.upperBound - firstRow), tiles = rows * columns
            // The strip's input starts 2 rows down per tile row; rows past the image read as
            // zeros, as for the whole image.
            gemm.winogradInput(source + 2 * firstRow * paddedWidth * cin, paddedHeight - 2 * firstRow, paddedWidth, cin,
                               rows, columns, v)
            for position in 0..<16 {
                gemm.gatherGEMM(
                    c: m + position * tiles * cout, ldc: cout,
                    a: v + position * tiles * cin, rowOffsets: winogradRowOffsets.pointer,
                    colOffsets: winogradChannelOffsets.pointer,
                    b: winogradWeights.pointer + position * cin * cout, ldb: cout, m: tiles, n: cout, k: cin,
                    scratch: scratch.pointer(slot))
            }
            gemm.winogradOutput(m, folded.bias!, inferenceReLU, outputShape.height - 2 * firstRow, outputShape.width, cout,
                                rows, columns, output + 2 * firstRow * outputShape.width * cout)
            firstRow += rows
        }
    }

    public func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext) {
        let pixels = outputShape.height * outputShape.width, cout = outputShape.channels
        let source: UnsafePointer<Float> = padding > 0 ? UnsafePointer(padded.pointer) : input
        if inputGradient != nil {
            let cin = inputShape.channels, k = kernelSize
            if stride == 1 {
                // W'[a][b][co][ci] = W[K-1-a][K-1-b][ci][co]: the B operand of the flipped convolution.
                for a in 0..<k {
                    for b in 0..<k {
                        let tap: Int = (k - 1 - a) * k + (k - 1 - b)
                        let source: UnsafeMutablePointer<Float> = weight + tap * cin * cout
                        let destination: UnsafeMutablePointer<Float> = transposedWeight.pointer + (a * k + b) * cout * cin
                        for ci in 0..<cin {
                            for co in 0..<cout { destination[co * cin + ci] = source[ci * cout + co] }
                        }
                    }
                }
            } else {
                // W^T, [Cout][K], the B operand of dCol = dOut · W^T.
                let weight: UnsafeMutablePointer<Float> = weight, transposed = transposedWeight.pointer
                for t in 0..<reduction {
                    for co in 0..<cout { transposed[co * reduction + t] = weight[t * cout + co] }
                }
            }
        }
        context.pool.run(partitions: context.partitions) { p in
            let images = context.images(of: p)
            let gradient = partial.slice(p)
            guard !images.isEmpty else {
                gradient.update(repeating: 0, count: partial.count)
                return
            }
            let dOut = outputGradient + images.lowerBound * pixels * cout
            // dW[t][co] = Σ_pixels A(pixel, t) · dOut[pixel][co]: the gathered A, transposed.
            context.gemm.gatherGEMM(
                c: gradient, ldc: cout,
                a: source, rowOffsets: tapOffsets.pointer,
                colOffsets: pixelOffsets.pointer + images.lowerBound * pixels,
                b: dOut, ldb: cout, m: reduction, n: cout, k: images.count * pixels,
                scratch: scratch.pointer(context.slot(p)))
            let biasGradient = gradient + reduction * cout
            biasGradient.update(repeating: 0, count: cout)
            for pixel in 0..<(images.count * pixels) {
                let row = dOut + pixel * cout
                for co in 0..<cout { biasGradient[co] += row[co] }
            }
            if let inputGradient {
                if stride == 1 {
                    flippedInputGradient(images, partition: p, outputGradient: outputGradient, into: inputGradient,
                                         context: context)
                } else {
                    inputGradientOfImages(images, partition: p, outputGradient: outputGradient, into: inputGradient,
                                          context: context)
                }
            }
        }
        partial.reduce(into: weightGradient, context: context)
    }

    /// Stride 1: dIn_padded = dOut (zero-padded by K-1) convolved with the flipped kernel, a
    /// gathered GEMM with a long reduction (K·K·Cout) and no scatter; then the padding is cropped.
    private func flippedInputGradient(_ images: Range<Int>, partition p: Int, outputGradient: UnsafePointer<Float>,
                                      into inputGradient: UnsafeMutablePointer<Float>, context: PassContext) {
        let cout = outputShape.channels, cin = inputShape.channels, k = kernelSize
        let padded = paddedOutputGradient.pointer + p * gradientHeight * gradientWidth * cout
        let rowCount = outputShape.width * cout
        padded.update(repeating: 0, count: gradientHeight * gradientWidth * cout)
        let paddedImage = paddedHeight * paddedWidth * cin
        for image in images {
            let dOut = outputGradient + image * outputShape.count
            for y in 0..<outputShape.height {
                (padded + ((y + k - 1) * gradientWidth + k - 1) * cout).update(from: dOut + y * rowCount, count: rowCount)
            }
            let target = padding > 0 ? paddedInputGradient.pointer + p * paddedImage : inputGradient + image * inputShape.count
            context.gemm.gatherGEMM(
                c: target, ldc: cin,
                a: padded, rowOffsets: paddedPixelOffsets.pointer, colOffsets: flippedTapOffsets.pointer,
                b: transposedWeight.pointer, ldb: cin, m: paddedHeight * paddedWidth, n: cin, k: k * k * cout,
                scratch: scratch.pointer(context.slot(p)))
            if padding > 0 {
                let inputRow = inputShape.width * cin
                for h in 0..<inputShape.height {
                    (inputGradient + (image * inputShape.height + h) * inputRow)
                        .update(from: target + ((h + padding) * paddedWidth + padding) * cin, count: inputRow)
                }
            }
        }
    }

    /// Stride > 1: dIn = col2im(dOut · W^T), one image at a time so the column buffer stays in L2.
    private func inputGradientOfImages(_ images: Range<Int>, partition p: Int, outputGradient: UnsafePointer<Float>,
                                       into inputGradient: UnsafeMutablePointer<Float>, context: PassContext) {
        let pixels = outputShape.height * outputShape.width, cout = outputShape.channels
        let cin = inputShape.channels, k = kernelSize
        let columns = columnGradient.pointer + p * pixels * reduction
        let paddedImage = paddedHeight * paddedWidth * cin
        for image in images {
            context.gemm.gatherGEMM(
                c: columns, ldc: reduction,
                a: outputGradient + image * pixels * cout, rowOffsets: outputRowOffsets.pointer,
                colOffsets: channelOffsets.pointer,
                b: transposedWeight.pointer, ldb: reduction, m: pixels, n: reduction, k: cout,
                scratch: scratch.pointer(context.slot(p)))
            let target = padding > 0
                ? paddedInputGradient.pointer + p * paddedImage
                : inputGradient + image * inputShape.count
            target.update(repeating: 0, count: paddedImage)
            var pixel = 0
            for oh in 0..<outputShape.height {
                for ow in 0..<outputShape.width {
                    let row = columns + pixel * reduction
                    for kh in 0..<k {
                        let destination = target + ((oh * stride + kh) * paddedWidth + ow * stride) * cin
                        let source = row + kh * k * cin
                        // The kw taps of one kernel row are contiguous in both buffers.
                        for i in 0..<(k * cin) { destination[i] += source[i] }
                    }
                    pixel += 1
                }
            }
            if padding > 0 {
                let rowCount = inputShape.width * cin
                for h in 0..<inputShape.height {
                    (inputGradient + (image * inputShape.height + h) * rowCount)
                        .update(from: target + ((h + padding) * paddedWidth + padding) * cin, count: rowCount)
                }
            }
        }
    }
}
