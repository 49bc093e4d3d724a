import Testing
import TensorCore
import TestSupport

/// Runs a one-layer network (plus an optional trailing ReLU to exercise the fused epilogue).
func singleLayerNetwork(_ spec: LayerSpec, input: ImageShape, relu: Bool = false, threads: Int = 1,
                        instructionSet: InstructionSet? = nil, seed: UInt64 = 7) throws -> Network {
    let network = try Network(architecture: Architecture(input: input, layers: relu ? [spec, .relu] : [spec]),
                              seed: seed, threads: threads)
    if let instructionSet { network.gemm = try #require(GEMMKernel(instructionSet)) }
    return network
}

/// Forward passes of the optimized layers against the plain-loop reference.
@Suite struct LayerForwardTests {
    struct ConvCase: CustomStringConvertible, Sendable {
        var batch: Int, height: Int, width: Int, cin: Int, cout: Int, k: Int, stride: Int, padding: Int
        var description: String { "b\(batch) \(height)x\(width)x\(cin)->\(cout) k\(k) s\(stride) p\(padding)" }
    }

    static let convCases: [ConvCase] = [
        ConvCase(batch: 1, height: 28, width: 28, cin: 1, cout: 32, k: 3, stride: 1, padding: 0),
        ConvCase(batch: 3, height: 13, width: 13, cin: 32, cout: 64, k: 3, stride: 1, padding: 0),
        ConvCase(batch: 3, height: 9, width: 7, cin: 5, cout: 7, k: 3, stride: 2, padding: 1),
        ConvCase(batch: 1, height: 6, width: 11, cin: 3, cout: 33, k: 5, stride: 1, padding: 2),
        ConvCase(batch: 3, height: 5, width: 5, cin: 9, cout: 10, k: 1, stride: 1, padding: 0),
        ConvCase(batch: 20, height: 8, width: 8, cin: 4, cout: 17, k: 4, stride: 3, padding: 1),
        // Winograd at inference: odd and even outputs, with and without padding.
        ConvCase(batch: 3, height: 9, width: 12, cin: 16, cout: 24, k: 3, stride: 1, padding: 1),
        ConvCase(batch: 17, height: 8, width: 8, cin: 8, cout: 8, k: 3, stride: 1, padding: 0),
        ConvCase(batch: 1, height: 4, width: 3, cin: 32, cout: 64, k: 3, stride: 1, padding: 0),
    ]

    @Test(arguments: convCases, InstructionSet.allCases.filter { $0.isSupported })
    func conv2dMatchesReference(_ c: ConvCase, _ instructionSet: InstructionSet) throws {
        for relu in [false, true] {
            let shape = ImageShape(height: c.height, width: c.width, channels: c.cin)
            let network = try singleLayerNetwork(.conv2d(outChannels: c.cout, kernelSize: c.k, stride: c.stride, padding: c.padding),
                                                 input: shape, relu: relu, threads: 2, instructionSet: instructionSet)
            let conv = try #require(network.layers[0] as? Conv2D)
            var random = SplitMix64(seed: 3)
            for i in 0..<c.cout { conv.bias[i] = random.float() }
            let input = random.floats(c.batch * shape.count)
            let weight = Array(UnsafeBufferPointer(start: conv.weight, count: c.k * c.k * c.cin * c.cout))
            let bias = Array(UnsafeBufferPointer(start: conv.bias, count: c.cout))
            var expected = Reference.conv2d(input, batch: c.batch, input: shape, weight: weight, bias: bias,
                                            outChannels: c.cout, kernelSize: c.k, stride: c.stride, padding: c.padding)
            if relu { expected = Reference.relu(expected) }
            let output = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: c.batch) })
            #expect(output.count == expected.count)
            let mismatch = firstMismatch(output, expected, absolute: 1e-4, relative: 1e-4)
            #expect(mismatch == nil, "\(c) relu=\(relu): \(String(describing: mismatch))")
        }
    }

    @Test(arguments: [(2, 2), (3, 2), (2, 1), (3, 3)])
    func maxPoolMatchesReference(_ k: Int, _ stride: Int) throws {
        let shape = ImageShape(height: 9, width: 7, channels: 5)
        let network = try singleLayerNetwork(.maxPool2d(kernelSize: k, stride: stride), input: shape, threads: 2)
        var random = SplitMix64(seed: 4)
        let input = random.floats(19 * shape.count)
        let expected = Reference.maxPool2d(input, batch: 19, input: shape, kernelSize: k, stride: stride)
        for training in [false, true] {
            let output = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 19, training: training) })
            #expect(output == expected)
        }
    }

    @Test func linearMatchesReference() throws {
        for (batch, inputs, outputs) in [(1, 1600, 10), (3, 37, 70), (19, 5, 1)] {
            let shape = ImageShape(height: 1, width: 1, channels: inputs)
            let network = try singleLayerNetwork(.linear(outFeatures: outputs), input: shape, threads: 2)
            let linear = try #require(network.layers[0] as? Linear)
            var random = SplitMix64(seed: 5)
            for i in 0..<outputs { linear.bias[i] = random.float() }
            let input = random.floats(batch * inputs)
            let expected = Reference.linear(input, batch: batch, inputs: inputs,
                                            weight: Array(UnsafeBufferPointer(start: linear.weight, count: inputs * outputs)),
                                            bias: Array(UnsafeBufferPointer(start: linear.bias, count: outputs)),
                                            outputs: outputs)
            let output = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch) })
            #expect(firstMismatch(output, expected, absolute: 1e-4) == nil, "batch \(batch) \(inputs)->\(outputs)")
        }
    }

    /// Training mode normalizes with the batch's statistics; inference with the running ones,
    /// which after one step with momentum 1 are exactly that batch's (variance unbiased).
    @Test func batchNormMatchesReference() throws {
        let shape = ImageShape(height: 3, width: 4, channels: 6)
        let network = try singleLayerNetwork(.batchNorm(eps: 1e-5, momentum: 1), input: shape, threads: 2)
        let norm = try #require(network.layers[0] as? BatchNorm)
        var random = SplitMix64(seed: 6)
        for ch in 0..<6 { norm.gamma[ch] = random.float(0.5, 2); norm.beta[ch] = random.float() }
        let batch = 17
        let input = random.floats(batch * shape.count, -3, 5)
        let gamma = Array(UnsafeBufferPointer(start: norm.gamma, count: 6))
        let beta = Array(UnsafeBufferPointer(start: norm.beta, count: 6))
        let expected = Reference.batchNorm(input, rows: batch * 12, channels: 6, gamma: gamma, beta: beta, epsilon: 1e-5)
        let trained = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch, training: true) })
        #expect(firstMismatch(trained, expected, absolute: 1e-4) == nil)
        let rows = Float(batch * 12)
        for ch in 0..<6 {
            var mean: Float = 0, square: Float = 0
            for r in 0..<(batch * 12) { mean += input[r * 6 + ch] }
            mean /= rows
            for r in 0..<(batch * 12) { square += (input[r * 6 + ch] - mean) * (input[r * 6 + ch] - mean) }
            #expect(isClose(norm.runningMean[ch], mean, absolute: 1e-4))
            #expect(isClose(norm.runningVariance[ch], square / (rows - 1), absolute: 1e-3))
        }
    }

    /// At inference a batch norm after a convolution or linear layer is folded into its
    /// weights and its pass skipped; the result must still be the layers applied one by one
    /// with the running statistics, on every instruction set.
    @Test(arguments: InstructionSet.allCases.filter { $0.isSupported })
    func foldedBatchNormMatchesReference(_ instructionSet: InstructionSet) throws {
        let input = ImageShape(height: 9, width: 9, channels: 8)
        let architecture = Architecture(input: input, layers: [
            .conv2d(outChannels: 16, kernelSize: 3), .batchNorm(), .relu,   // Winograd
            .conv2d(outChannels: 8, kernelSize: 3, stride: 2), .batchNorm(), // direct, no ReLU
            .flatten, .linear(outFeatures: 40), .batchNorm(), .relu,         // GEMM
            .linear(outFeatures: 5), .batchNorm(),                           // dot products
        ])
        let network = try Network(architecture: architecture, seed: 21, threads: 2)
        network.gemm = try #require(GEMMKernel(instructionSet))
        var random = SplitMix64(seed: 22)
        for norm in network.layers.compactMap({ $0 as? BatchNorm }) {
            for ch in 0..<norm.inputShape.channels {
                norm.gamma[ch] = random.float(0.5, 2)
                norm.beta[ch] = random.float()
                norm.runningMean[ch] = random.float()
                norm.runningVariance[ch] = random.float(0.2, 3)
            }
        }
        network.parametersDidChange()
        let batch = 6
        let images = random.floats(batch * input.count)

        var expected = images
        var shape = input
        for (index, layer) in network.layers.enumerated() {
            switch layer {
            case let conv as Conv2D:
                guard case let .conv2d(cout, k, stride, padding) = architecture.layers[index] else { continue }
                expected = Reference.conv2d(expected, batch: batch, input: shape,
                                            weight: Array(UnsafeBufferPointer(start: conv.weight, count: k * k * shape.channels * cout)),
                                            bias: Array(UnsafeBufferPointer(start: conv.bias, count: cout)),
                                            outChannels: cout, kernelSize: k, stride: stride, padding: padding)
            case let linear as Linear:
                let outputs = linear.outputShape.count
                expected = Reference.linear(expected, batch: batch, inputs: shape.count,
                                            weight: Array(UnsafeBufferPointer(start: linear.weight, count: shape.count * outputs)),
                                            bias: Array(UnsafeBufferPointer(start: linear.bias, count: outputs)), outputs: outputs)
            case let norm as BatchNorm:
                let c = norm.inputShape.channels
                for i in expected.indices {
                    let ch = i % c
                    expected[i] = (expected[i] - norm.runningMean[ch]) / (norm.runningVariance[ch] + norm.epsilon).squareRoot()
                        * norm.gamma[ch] + norm.beta[ch]
                }
            case is ReLU:
                expected = Reference.relu(expected)
            default:
                break
            }
            shape = layer.outputShape
        }
        let output = Array(images.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch) })
        let mismatch = firstMismatch(output, expected, absolute: 1e-4, relative: 1e-4)
        #expect(mismatch == nil, "\(instructionSet): \(String(describing: mismatch))")
        let norms = network.layers.compactMap { $0 as? BatchNorm }
        #expect(norms.count == 4 && norms.allSatisfy { $0.isFolded })
    }

    /// The same batch through one thread and through two gives the same logits.
    @Test func threadCountDoesNotChangeForward() throws {
        var random = SplitMix64(seed: 8)
        let input = random.floats(37 * 784, 0, 1)
        var outputs: [[Float]] = []
        for threads in [1, 2] {
            let network = try Network(architecture: .mnistBN, seed: 11, threads: threads)
            outputs.append(Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 37) }))
        }
        #expect(firstMismatch(outputs[0], outputs[1], absolute: 1e-5) == nil)
    }

    /// An image gets bit-identical logits alone or inside any batch: batching in the server
    /// must not change answers.
    @Test func batchingDoesNotChangeAnswers() throws {
        var random = SplitMix64(seed: 12)
        let batch = 45
        let input = random.floats(batch * 784, 0, 1)
        for architecture in [Architecture.kerasExample, .mnistBN] {
            let network = try Network(architecture: architecture, seed: 13, threads: 2)
            let together = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch) })
            for image in [0, 7, 44] {
                let alone = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress! + image * 784, batch: 1) })
                #expect(alone == Array(together[(image * 10)..<(image * 10 + 10)]), "image \(image)")
            }
        }
    }
}
