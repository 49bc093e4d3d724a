/// A sequential network built from an `Architecture`: its layers, one contiguous buffer of
/// parameters (with gradients mirroring it) and one of state, and the activations of the
/// largest batch seen so far.
///
/// Not thread-safe: one pass at a time. A pass itself spreads over `pool`.
public final class Network {
    public let architecture: Architecture
    public let layers: [any Layer]
    /// Every trainable float, layer after layer, in each layer's internal layout.
    public let parameters: FloatBuffer
    /// dL/dparameters, same layout; backward adds into it, `zeroGradients` clears it.
    public let gradients: FloatBuffer
    /// Batch norm running statistics, layer after layer.
    public let state: FloatBuffer
    /// Where each layer's parameters and state start.
    public let parameterOffsets: [Int], stateOffsets: [Int]
    public var pool: ThreadPool
    /// A second thread for inference passes: it splits a single image's layers, which `pool`
    /// cannot, and takes the second of two workers' images instead of the pool.
    public var helper: PassHelper?
    public var gemm: GEMMKernel = .active
    public let classes: Int
    /// Bumped by `parametersDidChange()`; layers repack their weights when it moves.
    public private(set) var parameterVersion = 0
    /// Images an inference worker carries through all layers at once: few enough that their
    /// activations (about 1 MiB) stay in L2, which matters for batches as much as kernel details.
    public let microBatch: Int

    /// activations[i] is the input of layer i; the last is the network's output (logits).
    private var activations: [FloatBuffer] = []
    /// Which activation buffer each layer reads and writes (in-place layers share).
    private let inputBufferIndex: [Int], outputBufferIndex: [Int]
    /// What an inference pass runs: every layer but the batch norms folded into the layer
    /// before them, which writes straight to the norm's output buffer instead.
    private let inferenceSteps: [(layer: Int, input: Int, output: Int)]
    private var gradientBuffers: [FloatBuffer] = []
    private var reservedBatch = 0, reservedTraining = false, reservedPartitions = 0

    public init(architecture: Architecture, threads: Int = 1) throws {
        self.architecture = architecture
        let shapes = try architecture.shapes()
        pool = ThreadPool(threads: threads)
        var layers: [any Layer] = []
        var input = architecture.input
        for (index, spec) in architecture.layers.enumerated() {
            let output = shapes[index]
            switch spec {
            case .conv2d: layers.append(Conv2D(spec: spec, input: input, output: output))
            case .maxPool2d: layers.append(MaxPool2D(spec: spec, input: input, output: output))
            case .linear: layers.append(Linear(spec: spec, input: input, output: output))
            case .relu: layers.append(ReLU(input: input))
            case .dropout: layers.append(Dropout(spec: spec, input: input, layerIndex: index))
            case .flatten: layers.append(Flatten(input: input))
            case .batchNorm: layers.append(BatchNorm(spec: spec, input: input))
            }
            input = output
        }
        // A ReLU right after a convolution, linear or batch norm layer runs in its epilogue.
        for index in 1..<max(1, layers.count) {
            guard let relu = layers[index] as? ReLU else { continue }
            switch layers[index - 1] {
            case let conv as Conv2D: conv.fusedReLU = true; relu.fused = true
            case let linear as Linear: linear.fusedReLU = true; relu.fused = true
            case let norm as BatchNorm: norm.fusedReLU = true; relu.fused = true
            default: break
            }
        }
        // A batch norm right after a convolution or linear layer is folded into that layer's
        // weights at inference (its ReLU, if any, going with it into the epilogue).
        for index in 1..<max(1, layers.count) {
            guard let norm = layers[index] as? BatchNorm else { continue }
            switch layers[index - 1] {
            case let conv as Conv2D where !conv.fusedReLU: conv.foldedNorm = norm; norm.isFolded = true
            case let linear as Linear where !linear.fusedReLU: linear.foldedNorm = norm; norm.isFolded = true
            default: break
            }
        }
        self.layers = layers
        classes = shapes.last!.count

        var parameterOffsets: [Int] = [], stateOffsets: [Int] = []
        var parameterCount = 0, stateCount = 0
        for layer in layers {
            parameterOffsets.append(parameterCount)
            stateOffsets.append(stateCount)
            parameterCount += layer.parameterCount
            stateCount += layer.stateCount
        }
        self.parameterOffsets = parameterOffsets
        self.stateOffsets = stateOffsets
        parameters = FloatBuffer(count: parameterCount)
        gradients = FloatBuffer(count: parameterCount)
        state = FloatBuffer(count: stateCount)
        for (index, layer) in layers.enumerated() {
            layer.bind(parameters: parameters.pointer + parameterOffsets[index],
                       gradients: gradients.pointer + parameterOffsets[index],
                       state: state.pointer + stateOffsets[index])
        }

        var inputIndex: [Int] = [], outputIndex: [Int] = []
        var current = 0
        for layer in layers {
            inputIndex.append(current)
            if !layer.isInPlace { current += 1 }
            outputIndex.append(current)
        }
        inputBufferIndex = inputIndex
        outputBufferIndex = outputIndex
        var steps: [(layer: Int, input: Int, output: Int)] = []
        for (index, layer) in layers.enumerated() {
            if let norm = layer as? BatchNorm, norm.isFolded {
                steps[steps.count - 1].output = outputIndex[index]
            } else {
                steps.append((index, inputIndex[index], outputIndex[index]))
            }
        }
        inferenceSteps = steps
        let activationBytes = (architecture.input.count + layers.filter { !$0.isInPlace }
            .reduce(0) { $0 + $1.outputShape.count }) * MemoryLayout<Float>.stride
        microBatch = max(1, min(32, (1 << 20) / max(1, activationBytes)))
    }

    /// Call after changing `parameters` or `state` from outside a training step.
    public func parametersDidChange() { parameterVersion += 1 }

    /// A network with freshly initialized parameters.
    public convenience init(architecture: Architecture, seed: UInt64, threads: Int = 1,
                            initialization: WeightInitialization = .he) throws {
        try self.init(architecture: architecture, threads: threads)
        initialize(seed: seed, scheme: initialization)
    }

    /// Draws every layer's parameters from its own stream of the seed.
    public func initialize(seed: UInt64, scheme: WeightInitialization = .he) {
        for (index, layer) in layers.enumerated() {
            var generator = SeededGenerator(seed: seed, stream: UInt64(index))
            layer.initialize(using: &generator, scheme: scheme)
        }
        parametersDidChange()
    }

    public var parameterCount: Int { parameters.count }
    /// Multiply-adds of one image's forward pass.
    public var multiplyAdds: Int { layers.reduce(0) { $0 + $1.multiplyAdds } }
    public var inputCount: Int { architecture.input.count }

    public func zeroGradients() { gradients.zero() }

    private func reserve(batch: Int, training: Bool, partitions: Int) {
        guard batch > reservedBatch || (training && !reservedTraining) || partitions > reservedPartitions else { return }
        let newBatch = max(batch, reservedBatch), newTraining = training || reservedTraining
        let newPartitions = max(partitions, reservedPartitions)
        var sizes = [architecture.input.count]
        for (index, layer) in layers.enumerated() where outputBufferIndex[index] != inputBufferIndex[index] {
            sizes.append(layer.outputShape.count)
        }
        activations = sizes.map { FloatBuffer(count: $0 * newBatch) }
        if newTraining {
            let largest = sizes.max()! * newBatch
            gradientBuffers = [FloatBuffer(count: largest), FloatBuffer(count: largest)]
        }
        for layer in layers { layer.reserve(batch: newBatch, partitions: newPartitions, training: newTraining) }
        reservedBatch = newBatch
        reservedTraining = newTraining
        reservedPartitions = newPartitions
    }

    private func context(batch: Int, training: Bool, stepSeed: UInt64) -> PassContext {
        // Single images stay on one thread; batches split across the pool, at least 8 images each.
        let partitions = max(1, min(pool.threads, batch / 8))
        return PassContext(training: training, batch: batch, pool: pool, partitions: partitions,
                           gemm: gemm, stepSeed: stepSeed, parameterVersion: parameterVersion)
    }

    /// Runs the network on `batch` images (each `inputCount` floats, NHWC) and returns the
    /// logits, [batch][classes], valid until the next pass.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, training: Bool = false,
                        stepSeed: UInt64 = 0) -> UnsafeBufferPointer<Float> {
        let context = context(batch: batch, training: training, stepSeed: stepSeed)
        let workers = training ? 1 : min(pool.threads, (batch + microBatch - 1) / microBatch)
        reserve(batch: batch, training: training, partitions: max(context.partitions, workers, helper == nil ? 1 : 2))
        activations[0].pointer.update(from: input, count: batch * inputCount)
        if training {
            // Layer by layer over the whole batch: batch norm needs the batch's statistics.
            runLayers(context)
            // The pass moved the batch norms' running statistics, so what inference derived
            // from them (folded weights) is stale, as after an optimizer step.
            if state.count > 0 { parametersDidChange() }
        } else {
            // Each worker carries micro-batches of its own images through every layer.
            for layer in layers { layer.prepareForInference(parameterVersion: parameterVersion, gemm: gemm) }
            let single = ThreadPool(threads: 1)
            func carry(_ worker: Int) {
                let images = ThreadPool.range(of: worker, partitions: workers, count: batch)
                var first = images.lowerBound
                while first < images.upperBound {
                    var slice = context
                    slice.pool = single
                    slice.partitions = 1
                    slice.worker = worker
                    slice.firstImage = first
                    slice.batch = min(microBatch, images.upperBound - first)
                    if batch == 1 { slice.helper = helper }
                    runLayers(slice)
                    first += slice.batch
                }
            }
            // Two workers go to the helper when there is one: it is usually still polling
            // from the last pass, where the pool's thread would have to be woken (~35 µs).
            if workers == 2, let helper {
                helper.run(carry)
            } else {
                pool.run(partitions: workers, carry)
            }
        }
        return UnsafeBufferPointer(start: activations.last!.pointer, count: batch * classes)
    }

    private func runLayers(_ context: PassContext) {
        if context.training {
            for (index, layer) in layers.enumerated() {
                layer.forward(input: activations[inputBufferIndex[index]].pointer,
                              output: activations[outputBufferIndex[index]].pointer, context: context)
            }
        } else {
            for step in inferenceSteps {
                layers[step.layer].forward(input: activations[step.input].pointer,
                                           output: activations[step.output].pointer, context: context)
            }
        }
    }

    /// Backpropagates dL/dlogits (after a training `forward` of the same batch), adding into
    /// `gradients`; dL/dinput goes to `inputGradient` when one is given.
    public func backward(_ logitsGradient: UnsafePointer<Float>, batch: Int, stepSeed: UInt64 = 0,
                         inputGradient: UnsafeMutablePointer<Float>? = nil) {
        precondition(reservedTraining, "backward needs a training forward pass first")
        let context = context(batch: batch, training: true, stepSeed: stepSeed)
        let inputGradient0 = inputGradient
        var current = gradientBuffers[0].pointer, other = gradientBuffers[1].pointer
        current.update(from: logitsGradient, count: batch * classes)
        for index in layers.indices.reversed() {
            let layer = layers[index]
            let inputGradient: UnsafeMutablePointer<Float>?
            if index == 0 {
                inputGradient = inputGradient0
            } else {
                inputGradient = layer.isInPlace ? current : other
            }
            layer.backward(inputGradient: inputGradient, outputGradient: current,
                           input: activations[inputBufferIndex[index]].pointer,
                           output: activations[outputBufferIndex[index]].pointer, context: context)
            if index > 0, let inputGradient, inputGradient != current { swap(&current, &other) }
        }
    }

    /// After an inference `forward`, the batch's output of layer `index` as inference computed
    /// it (a folded norm and fused ReLU included): what int8 calibration measures.
    func inferenceActivation(afterLayer index: Int) -> UnsafePointer<Float> {
        UnsafePointer(activations[outputBufferIndex[index]].pointer)
    }

    /// Class probabilities for `batch` images, [batch][classes].
    public func predict(_ input: UnsafePointer<Float>, batch: Int) -> [Float] {
        softmax(forward(input, batch: batch), batch: batch, classes: classes)
    }

    public func predict(_ input: [Float], batch: Int) -> [Float] {
        precondition(input.count == batch * inputCount, "expected \(batch) images of \(inputCount) floats")
        return input.withUnsafeBufferPointer { predict($0.baseAddress!, batch: batch) }
    }
}
