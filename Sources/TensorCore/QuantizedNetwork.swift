import Int8Kernels

/// The instruction sets the int8 kernels (the Int8Kernels C target) are written for.
public enum Int8InstructionSet: String, CaseIterable, Sendable, Codable {
    /// `vpdpbusd`: 64 u8·s8 multiply-adds per instruction, no intermediate saturation.
    case avx512vnni = "avx512_vnni"
    /// `vpmaddubsw` + `vpmaddwd`: exact because weights stay within ±64.
    case avx2
    /// Plain loops: what every other kernel is tested against.
    case reference

    /// Whether this CPU (and OS) can run the kernel.
    public var isSupported: Bool { q8_isa_supported(code) != 0 }

    /// The fastest set this CPU supports.
    public static let best: Int8InstructionSet = allCases.first { $0.isSupported } ?? .reference

    /// The `q8_isa` value the C kernels take.
    public var code: Int32 {
        switch self {
        case .avx512vnni: return Int32(Q8_ISA_AVX512_VNNI.rawValue)
        case .avx2: return Int32(Q8_ISA_AVX2.rawValue)
        case .reference: return Int32(Q8_ISA_REFERENCE.rawValue)
        }
    }
}

/// A network run in int8 (post-training static quantization): u8 activations with one
/// calibrated scale per tensor (zero point 0: every quantized activation follows a ReLU),
/// s8 weights with one scale per output channel (batch norm folded in first, as fp32 inference
/// does), int32 sums, and requantization with bias and ReLU in the GEMM's epilogue. Max pooling
/// runs on the u8 values (it commutes with the monotone requantization); the last layer writes
/// float logits. The input is quantized with scale 1/255, exact for MNIST pixels (byte / 255).
///
/// Built from an fp32 `Network`, whose weights it copies (later changes to them are not seen).
/// Not thread-safe: one pass at a time; a pass spreads its images over `threads` threads.
public final class QuantizedNetwork {
    public let architecture: Architecture
    public let calibration: Int8Calibration
    public let instructionSet: Int8InstructionSet
    public let classes: Int
    public let inputCount: Int
    public var threads: Int { pool.threads }
    /// The threads a pass spreads its images over.
    public var pool: ThreadPool
    /// Images a worker carries through all layers at once (the linear layers then reuse each
    /// weight row that many times).
    public static let microBatch = 16

    /// The input is MNIST pixels / 255, so 1/255 represents it exactly.
    public static let inputScale: Float = 1 / 255

    private let steps: [Step]
    /// Steps before this index (convolutions and pooling) run image by image, so one image's
    /// activations stay in L1; the linear layers from here on (architectures allow no image
    /// layer after a flat one) run over the micro-batch, reusing each weight row for all its images.
    private let firstBatchedStep: Int
    /// Bytes of the largest activation of one image in the per-image steps, and of one image's
    /// largest input or output of the batched steps (each padded to a multiple of 4).
    private let largestImageActivation: Int, largestBatchedActivation: Int
    /// Bytes of the largest im2col matrix of one image.
    private let largestColumns: Int
    private var logits = Buffer<Float>(count: 0)
    private var scratch: [Scratch] = []

    /// One worker's buffers: a pair for one image's activations (ping-pong), im2col, and a pair
    /// for the micro-batch's linear layers.
    struct Scratch {
        let image: (Buffer<UInt8>, Buffer<UInt8>)
        let columns: Buffer<UInt8>
        let batch: (Buffer<UInt8>, Buffer<UInt8>)
    }

    /// One convolution or linear layer with its folded, quantized weights and epilogue.
    struct WeightStep {
        let packed: Buffer<Int8>
        let multiplier: Buffer<Float>, bias: Buffer<Float>
        let outputs: Int, paddedReduction: Int
        /// Nil for a linear layer.
        let convolution: (kernel: Int, stride: Int, padding: Int, input: ImageShape, output: ImageShape)?
        /// Where each row of the GEMM's A operand starts and where each group of 4 reduction
        /// entries sits in a row (see `q8_gemm`): a convolution without padding whose channels
        /// come in fours reads its input image in place; others read an im2col copy (`usesColumns`).
        /// A linear layer's rows are the micro-batch's images.
        let rowOffsets: Buffer<Int>
        let groupOffsets: Buffer<UInt32>
        let usesColumns: Bool
        /// Requantized u8 output (after ReLU), or float logits (the last layer).
        let requantized: Bool
        let relu: Bool
    }

    enum Step {
        case weights(WeightStep)
        case maxPool(kernel: Int, stride: Int, input: ImageShape, output: ImageShape)

        var outputCount: Int {
            switch self {
            case let .weights(step): return step.convolution?.output.count ?? step.outputs
            case let .maxPool(_, _, _, output): return output.count
            }
        }
    }

    /// Which layers of `network` the int8 pass runs, and which of them write a requantized
    /// activation (a weight layer with its folded norm and ReLU: the index of the last layer it covers).
    struct Plan {
        var layers: [(index: Int, last: Int)] = []
        var requantizedLayers: [Int] = []
    }

    /// Checks that every layer has an int8 form and groups each weight layer with the batch
    /// norm and ReLU it absorbs.
    static func plan(_ network: Network) throws -> Plan {
        var plan = Plan()
        let layers = network.layers
        var index = 0
        var producedLogits = false
        while index < layers.count {
            let layer = layers[index]
            if producedLogits, !(layer is Dropout) {
                throw QuantizationError.unsupportedLayer(index: index, reason: "only the last weight layer may lack a ReLU")
            }
            switch layer {
            case is Conv2D, is Linear:
                var last = index
                if last + 1 < layers.count, let norm = layers[last + 1] as? BatchNorm, norm.isFolded { last += 1 }
                let relu = last + 1 < layers.count && layers[last + 1] is ReLU
                if relu { last += 1 }
                if relu { plan.requantizedLayers.append(last) } else if layer is Conv2D {
                    throw QuantizationError.unsupportedLayer(index: index, reason: "a convolution without a ReLU after it")
                } else {
                    producedLogits = true
                }
                plan.layers.append((index, last))
                index = last + 1
            case is MaxPool2D:
                plan.layers.append((index, index))
                index += 1
            case is Flatten, is Dropout:
                index += 1
            case is ReLU:
                throw QuantizationError.unsupportedLayer(index: index, reason: "a ReLU not after a weight layer")
            default:
                throw QuantizationError.unsupportedLayer(index: index, reason: "\(layer.spec) has no int8 form")
            }
        }
        guard producedLogits else {
            throw QuantizationError.unsupportedLayer(index: layers.count - 1, reason: "the network must end in a linear layer without ReLU")
        }
        return plan
    }

    /// Quantizes `network`'s weights with `calibration`'s activation scales.
    /// - Parameter instructionSet: the kernel to run; throws if this CPU lacks it.
    public init(network: Network, calibration: Int8Calibration, instructionSet: Int8InstructionSet = .best,
                threads: Int = 1) throws {
        guard instructionSet.isSupported else { throw QuantizationError.instructionSetUnavailable(instructionSet.rawValue) }
        let plan = try Self.plan(network)
        guard calibration.activationScales.count == plan.requantizedLayers.count,
              calibration.activationScales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw QuantizationError.badCalibration(
                "\(calibration.activationScales.count) activation scales for \(plan.requantizedLayers.count) quantized activations")
        }
        architecture = network.architecture
        self.calibration = calibration
        self.instructionSet = instructionSet
        classes = network.classes
        inputCount = network.inputCount
        pool = ThreadPool(threads: threads)

        var steps: [Step] = []
        var inputScale = Self.inputScale
        var scaleIndex = 0
        for (index, last) in plan.layers {
            switch network.layers[index] {
            case let pool as MaxPool2D:
                steps.append(.maxPool(kernel: pool.kernelSize, stride: pool.stride, input: pool.inputShape, output: pool.outputShape))
            case let layer:
                let requantized = plan.requantizedLayers.contains(last)
                let outputScale: Float? = requantized ? calibration.activationScales[scaleIndex] : nil
                if requantized { scaleIndex += 1 }
                steps.append(.weights(Self.quantize(layer, inputScale: inputScale, outputScale: outputScale,
                                                    microBatch: Self.microBatch)))
                if let outputScale { inputScale = outputScale }
            }
        }
        self.steps = steps
        let firstBatchedStep = steps.firstIndex {
            if case let .weights(weight) = $0 { return weight.convolution == nil }
            return false
        } ?? steps.count
        self.firstBatchedStep = firstBatchedStep
        largestImageActivation = steps[..<firstBatchedStep].reduce(q8_padded_reduction(inputCount)) {
            max($0, q8_padded_reduction($1.outputCount))
        }
        let batchedInput = firstBatchedStep == 0 ? inputCount : steps[firstBatchedStep - 1].outputCount
        largestBatchedActivation = steps[firstBatchedStep...].reduce(q8_padded_reduction(batchedInput)) {
            max($0, q8_padded_reduction($1.outputCount))
        }
        largestColumns = steps.reduce(0) { result, step in
            guard case let .weights(weight) = step, let conv = weight.convolution, weight.usesColumns else { return result }
            return max(result, conv.output.height * conv.output.width * weight.paddedReduction)
        }
    }

    /// Folds the layer's batch norm into its weights (as fp32 inference does), quantizes them
    /// per output channel to [-64, 64], and derives the epilogue's multiplier and bias:
    /// real output = sum · inputScale · weightScale[j] + bias[j], divided by outputScale when the
    /// output is requantized to u8.
    private static func quantize(_ layer: any Layer, inputScale: Float, outputScale: Float?, microBatch: Int) -> WeightStep {
        let weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>, norm: BatchNorm?
        var convolution: (kernel: Int, stride: Int, padding: Int, input: ImageShape, output: ImageShape)?
        var relu: Bool
        switch layer {
        case let conv as Conv2D:
            weight = conv.weight; bias = conv.bias; norm = conv.foldedNorm; relu = conv.fusedReLU
            convolution = (conv.kernelSize, conv.stride, conv.padding, conv.inputShape, conv.outputShape)
        case let linear as Linear:
            weight = linear.weight; bias = linear.bias; norm = linear.foldedNorm; relu = linear.fusedReLU
        default:
            preconditionFailure("not a weight layer")
        }
        relu = relu || (norm?.fusedReLU ?? false)
        let inputs = convolution.map { $0.kernel * $0.kernel * $0.input.channels } ?? layer.inputShape.count
        let outputs = convolution?.output.channels ?? layer.outputShape.count
        // The layer's weight is [inputs][outputs] (K x N); fold and transpose to [outputs][inputs].
        var folded = [Float](repeating: 0, count: inputs * outputs)
        var foldedBias = [Float](repeating: 0, count: outputs)
        for o in 0..<outputs {
            var scale: Float = 1, shift: Float = 0
            if let norm {
                scale = norm.gamma[o] / (norm.runningVariance[o] + norm.epsilon).squareRoot()
                shift = norm.beta[o] - norm.runningMean[o] * scale
            }
            for i in 0..<inputs { folded[o * inputs + i] = weight[i * outputs + o] * scale }
            foldedBias[o] = bias[o] * scale + shift
        }
        let limit = Float(Q8_WEIGHT_LIMIT)
        var quantized = [Int8](repeating: 0, count: inputs * outputs)
        let multiplier = Buffer<Float>(count: outputs), epilogueBias = Buffer<Float>(count: outputs)
        for o in 0..<outputs {
            let row = folded[(o * inputs)..<((o + 1) * inputs)]
            let largest = row.reduce(0) { max($0, abs($1)) }
            let weightScale = largest > 0 ? largest / limit : 1
            for i in 0..<inputs {
                quantized[o * inputs + i] = Int8(max(-limit, min(limit, (folded[o * inputs + i] / weightScale).rounded())))
            }
            let real = Double(inputScale) * Double(weightScale)
            multiplier.pointer[o] = Float(outputScale.map { real / Double($0) } ?? real)
            epilogueBias.pointer[o] = Float(outputScale.map { Double(foldedBias[o]) / Double($0) } ?? Double(foldedBias[o]))
        }
        // How the GEMM reads a convolution's input: in place when each group of 4 reduction
        // entries is 4 channels of one tap; a single-channel kernel at most 4 wide in place too,
        // one group per kernel row (its 4 bytes, weights zero past the kernel's width); else im2col.
        var reduction = inputs
        var usesColumns = false, groupsAreKernelRows = false
        if let conv = convolution {
            groupsAreKernelRows = conv.padding == 0 && conv.input.channels == 1 && conv.kernel <= 4
            usesColumns = !groupsAreKernelRows && (conv.padding > 0 || conv.input.channels % 4 != 0)
        }
        if groupsAreKernelRows, let conv = convolution {
            reduction = conv.kernel * 4
            var widened = [Int8](repeating: 0, count: outputs * reduction)
            for o in 0..<outputs {
                for ky in 0..<conv.kernel {
                    for kx in 0..<conv.kernel { widened[o * reduction + ky * 4 + kx] = quantized[(o * conv.kernel + ky) * conv.kernel + kx] }
                }
            }
            quantized = widened
        }
        let packed = Buffer<Int8>(count: q8_packed_weight_bytes(outputs, reduction))
        quantized.withUnsafeBufferPointer { q8_pack_weights($0.baseAddress!, outputs, reduction, packed.pointer) }

        let paddedReduction = q8_padded_reduction(reduction)
        let groups = paddedReduction / 4
        let groupOffsets = Buffer<UInt32>(count: groups)
        let rowOffsets: Buffer<Int>
        if let conv = convolution {
            let (input, output) = (conv.input, conv.output)
            rowOffsets = Buffer<Int>(count: output.height * output.width)
            for y in 0..<output.height {
                for x in 0..<output.width {
                    rowOffsets.pointer[y * output.width + x] = usesColumns
                        ? (y * output.width + x) * paddedReduction
                        : ((y * conv.stride) * input.width + x * conv.stride) * input.channels
                }
            }
            for g in 0..<groups {
                let tap = 4 * g / input.channels, channel = 4 * g % input.channels
                if usesColumns {
                    groupOffsets.pointer[g] = UInt32(4 * g)
                } else if groupsAreKernelRows {
                    groupOffsets.pointer[g] = UInt32(g * input.width)
                } else {
                    groupOffsets.pointer[g] = UInt32(((tap / conv.kernel) * input.width + tap % conv.kernel) * input.channels + channel)
                }
            }
        } else {
            rowOffsets = IdentityOffsets.make(microBatch, stride: paddedReduction)
            for g in 0..<groups { groupOffsets.pointer[g] = UInt32(4 * g) }
        }
        return WeightStep(packed: packed, multiplier: multiplier, bias: epilogueBias, outputs: outputs,
                          paddedReduction: paddedReduction, convolution: convolution, rowOffsets: rowOffsets,
                          groupOffsets: groupOffsets, usesColumns: usesColumns,
                          requantized: outputScale != nil, relu: relu)
    }

    private func reserve(batch: Int, workers: Int) {
        if logits.count < batch * classes { logits = Buffer<Float>(count: batch * classes) }
        while scratch.count < workers {
            // 4 bytes of slack: a kernel-row group of the last pixel reads up to 3 bytes past its image.
            let image = largestImageActivation + 4, batch = Self.microBatch * largestBatchedActivation
            scratch.append(Scratch(image: (Buffer<UInt8>(count: image), Buffer<UInt8>(count: image)),
                                   columns: Buffer<UInt8>(count: max(1, largestColumns)),
                                   batch: (Buffer<UInt8>(count: batch), Buffer<UInt8>(count: batch))))
        }
    }

    /// Runs `batch` images (each `inputCount` floats in 0...1, NHWC) and returns the logits,
    /// [batch][classes], valid until the next pass.
    public func forward(_ input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float> {
        let workers = max(1, min(pool.threads, (batch + Self.microBatch - 1) / Self.microBatch))
        reserve(batch: batch, workers: workers)
        let logits = self.logits.pointer
        pool.run(partitions: workers) { worker in
            let images = ThreadPool.range(of: worker, partitions: workers, count: batch)
            var first = images.lowerBound
            while first < images.upperBound {
                let count = min(Self.microBatch, images.upperBound - first)
                run(input + first * inputCount, count: count, logits: logits + first * classes, scratch: scratch[worker])
                first += count
            }
        }
        return UnsafeBufferPointer(start: logits, count: batch * classes)
    }

    /// Class probabilities for `batch` images, [batch][classes].
    public func predict(_ input: UnsafePointer<Float>, batch: Int) -> [Float] {
        softmax(forward(input, batch: batch), batch: batch, classes: classes)
    }

    /// One micro-batch through every step: each image through the convolutions and pooling on
    /// its own, into its row of the batch buffer, then the linear layers over all rows. Each
    /// image's activation occupies a stride of its size rounded up to 4 bytes, the tail zeroed, so
    /// a linear layer reads whole groups of 4.
    private func run(_ input: UnsafePointer<Float>, count: Int, logits: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let isa = instructionSet.code
        let inputStride = q8_padded_reduction(inputCount)
        let batchedStride = firstBatchedStep == 0 ? inputStride : q8_padded_reduction(steps[firstBatchedStep - 1].outputCount)
        for image in 0..<count {
            var current = scratch.image.0.pointer, next = scratch.image.1.pointer
            let source = input + image * inputCount
            // The last per-image step writes straight into the image's row of the batch buffer.
            let row = scratch.batch.0.pointer + image * batchedStride
            if firstBatchedStep == 0 { current = row }
            // x / (1/255), rounded, clamped: the u8 the input scale represents.
            q8_quantize_unit(source, inputCount, current)
            (current + inputCount).update(repeating: 0, count: inputStride - inputCount)
            for index in 0..<firstBatchedStep {
                let target = index == firstBatchedStep - 1 ? row : next
                runImageStep(steps[index], input: current, output: target, columns: scratch.columns.pointer, isa: isa)
                let outputCount = steps[index].outputCount
                (target + outputCount).update(repeating: 0, count: q8_padded_reduction(outputCount) - outputCount)
                swap(&current, &next)
            }
        }
        var current = scratch.batch.0.pointer, next = scratch.batch.1.pointer
        for step in steps[firstBatchedStep...] {
            guard case let .weights(weight) = step else { preconditionFailure("pooling after a linear layer") }
            let rows = weight.rowOffsets.pointer, groups = weight.groupOffsets.pointer
            guard weight.requantized else {
                q8_gemm(isa, current, rows, groups, count, weight.paddedReduction, weight.packed.pointer, weight.outputs,
                        weight.multiplier.pointer, weight.bias.pointer, weight.relu ? 1 : 0, nil, logits, classes)
                return
            }
            let nextStride = q8_padded_reduction(weight.outputs)
            q8_gemm(isa, current, rows, groups, count, weight.paddedReduction, weight.packed.pointer, weight.outputs,
                    weight.multiplier.pointer, weight.bias.pointer, weight.relu ? 1 : 0, next, nil, nextStride)
            for image in 0..<count {
                (next + image * nextStride + weight.outputs).update(repeating: 0, count: nextStride - weight.outputs)
            }
            swap(&current, &next)
        }
    }

    /// A convolution or pooling step on one image.
    private func runImageStep(_ step: Step, input: UnsafeMutablePointer<UInt8>, output: UnsafeMutablePointer<UInt8>,
                              columns: UnsafeMutablePointer<UInt8>, isa: Int32) {
        switch step {
        case let .maxPool(kernel, poolStride, inputShape, outputShape):
            q8_max_pool(input, inputShape.height, inputShape.width, inputShape.channels,
                        kernel, poolStride, outputShape.height, outputShape.width, output)
        case let .weights(weight):
            guard let conv = weight.convolution else { preconditionFailure("a linear layer among the per-image steps") }
            var a = UnsafePointer(input)
            if weight.usesColumns {
                q8_im2col(a, conv.input.height, conv.input.width, conv.input.channels,
                          conv.kernel, conv.stride, conv.padding, conv.output.height, conv.output.width,
                          columns, weight.paddedReduction)
                a = UnsafePointer(columns)
            }
            q8_gemm(isa, a, weight.rowOffsets.pointer, weight.groupOffsets.pointer, conv.output.height * conv.output.width,
                    weight.paddedReduction, weight.packed.pointer, weight.outputs, weight.multiplier.pointer,
                    weight.bias.pointer, weight.relu ? 1 : 0, output, nil, weight.outputs)
        }
    }
}
