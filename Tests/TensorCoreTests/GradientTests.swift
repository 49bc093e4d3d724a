import Foundation
import Testing
import TensorCore
import TestSupport

/// Central finite differences of `loss` at `x`, in Double.
func numericGradient(at x: [Double], step: Double = 1e-5, _ loss: ([Double]) -> Double) -> [Double] {
    var x = x
    return x.indices.map { i in
        let saved = x[i]
        x[i] = saved + step
        let up = loss(x)
        x[i] = saved - step
        let down = loss(x)
        x[i] = saved
        return (up - down) / (2 * step)
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func doubles(_ x: [Float]) -> [Double] { x.map(Double.init) }

/// Analytic gradients of one layer under the fake loss L = Σ out·dout.
struct LayerGradients {
    var input: [Float], parameters: [Float], output: [Float]
}

func analyticGradients(_ network: Network, input: [Float], outputGradient: [Float], batch: Int) -> LayerGradients {
    network.zeroGradients()
    let output = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch, training: true) })
    var inputGradient = [Float](repeating: .nan, count: input.count)
    outputGradient.withUnsafeBufferPointer {
        network.backward($0.baseAddress!, batch: batch, inputGradient: &inputGradient)
    }
    return LayerGradients(input: inputGradient, parameters: network.gradients.array, output: output)
}

func expectClose(_ analytic: [Float], _ numeric: [Double], _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let mismatch = firstMismatch(analytic.map(Double.init), numeric, absolute: 2e-3, relative: 2e-3)
    #expect(mismatch == nil, "\(what): \(String(describing: mismatch))", sourceLocation: sourceLocation)
}

/// Each layer's backward against central differences of the Double reference.
@Suite struct GradientTests {
    static let convCases: [(Int, Int, Int, Int, Int)] = [ // cin, cout, k, stride, padding
        (1, 4, 3, 1, 0), (3, 5, 3, 2, 1), (2, 3, 2, 1, 1), (4, 17, 1, 1, 0),
    ]

    @Test(arguments: 0..<4, [false, true])
    func conv2d(_ caseIndex: Int, _ relu: Bool) throws {
        let (cin, cout, k, stride, padding) = Self.convCases[caseIndex]
        let shape = ImageShape(height: 5, width: 6, channels: cin)
        let batch = 3
        let network = try singleLayerNetwork(.conv2d(outChannels: cout, kernelSize: k, stride: stride, padding: padding),
                                             input: shape, relu: relu)
        let conv = try #require(network.layers[0] as? Conv2D)
        var random = SplitMix64(seed: UInt64(10 + caseIndex))
        for i in 0..<cout { conv.bias[i] = random.float() }
        let input = random.floats(batch * shape.count)
        let weightCount = k * k * cin * cout
        let weight = Array(UnsafeBufferPointer(start: conv.weight, count: weightCount))
        let bias = Array(UnsafeBufferPointer(start: conv.bias, count: cout))
        let outShape = network.layers[0].outputShape
        let dout = random.floats(batch * outShape.count)
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: batch)

        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var out = Reference.conv2d(x, batch: batch, input: shape, weight: w, bias: b, outChannels: cout,
                                       kernelSize: k, stride: stride, padding: padding)
            if relu { out = Reference.relu(out) }
            return dot(out, doubles(dout))
        }
        let x = doubles(input), w = doubles(weight), b = doubles(bias)
        expectClose(analytic.input, numericGradient(at: x) { loss($0, w, b) }, "dInput")
        expectClose(Array(analytic.parameters[0..<weightCount]), numericGradient(at: w) { loss(x, $0, b) }, "dWeight")
        expectClose(Array(analytic.parameters[weightCount...]), numericGradient(at: b) { loss(x, w, $0) }, "dBias")
    }

    @Test func linear() throws {
        let inputs = 13, outputs = 7, batch = 4
        let network = try singleLayerNetwork(.linear(outFeatures: outputs), input: ImageShape(height: 1, width: 1, channels: inputs))
        let layer = try #require(network.layers[0] as? Linear)
        var random = SplitMix64(seed: 20)
        for i in 0..<outputs { layer.bias[i] = random.float() }
        let input = random.floats(batch * inputs)
        let dout = random.floats(batch * outputs)
        let weight = doubles(Array(UnsafeBufferPointer(start: layer.weight, count: inputs * outputs)))
        let bias = doubles(Array(UnsafeBufferPointer(start: layer.bias, count: outputs)))
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: batch)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            dot(Reference.linear(x, batch: batch, inputs: inputs, weight: w, bias: b, outputs: outputs), doubles(dout))
        }
        let x = doubles(input)
        expectClose(analytic.input, numericGradient(at: x) { loss($0, weight, bias) }, "dInput")
        expectClose(Array(analytic.parameters[0..<(inputs * outputs)]), numericGradient(at: weight) { loss(x, $0, bias) }, "dWeight")
        expectClose(Array(analytic.parameters[(inputs * outputs)...]), numericGradient(at: bias) { loss(x, weight, $0) }, "dBias")
    }

    @Test(arguments: [(2, 2), (3, 2), (2, 1)])
    func maxPool(_ k: Int, _ stride: Int) throws {
        let shape = ImageShape(height: 6, width: 5, channels: 3)
        let network = try singleLayerNetwork(.maxPool2d(kernelSize: k, stride: stride), input: shape)
        var random = SplitMix64(seed: 30)
        let input = random.floats(2 * shape.count) // distinct values: no ties
        let dout = random.floats(2 * network.layers[0].outputShape.count)
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: 2)
        let numeric = numericGradient(at: doubles(input)) {
            dot(Reference.maxPool2d($0, batch: 2, input: shape, kernelSize: k, stride: stride), doubles(dout))
        }
        expectClose(analytic.input, numeric, "dInput")
    }

    @Test(arguments: [ImageShape(height: 3, width: 2, channels: 4), ImageShape(height: 1, width: 1, channels: 9)])
    func batchNorm(_ shape: ImageShape) throws {
        let batch = 5
        let network = try singleLayerNetwork(.batchNorm(), input: shape)
        let norm = try #require(network.layers[0] as? BatchNorm)
        var random = SplitMix64(seed: 40)
        let c = shape.channels
        for ch in 0..<c { norm.gamma[ch] = random.float(0.5, 2); norm.beta[ch] = random.float() }
        let input = random.floats(batch * shape.count, -2, 3)
        let dout = random.floats(batch * shape.count)
        let gamma = doubles(Array(UnsafeBufferPointer(start: norm.gamma, count: c)))
        let beta = doubles(Array(UnsafeBufferPointer(start: norm.beta, count: c)))
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: batch)
        let rows = batch * shape.height * shape.width
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            dot(Reference.batchNorm(x, rows: rows, channels: c, gamma: g, beta: b, epsilon: 1e-5), doubles(dout))
        }
        let x = doubles(input)
        expectClose(analytic.input, numericGradient(at: x) { loss($0, gamma, beta) }, "dInput")
        expectClose(Array(analytic.parameters[0..<c]), numericGradient(at: gamma) { loss(x, $0, beta) }, "dGamma")
        expectClose(Array(analytic.parameters[c...]), numericGradient(at: beta) { loss(x, gamma, $0) }, "dBeta")
    }

    @Test func relu() throws {
        let shape = ImageShape(height: 1, width: 1, channels: 40)
        let network = try singleLayerNetwork(.relu, input: shape)
        var random = SplitMix64(seed: 50)
        // Keep away from the kink at zero, where the difference quotient is meaningless.
        let input = random.floats(2 * 40).map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 }
        let dout = random.floats(2 * 40)
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: 2)
        expectClose(analytic.input, numericGradient(at: doubles(input)) { dot(Reference.relu($0), doubles(dout)) }, "dInput")
    }

    /// Dropout is linear in its input for a fixed mask: out = x·m and dx = dout·m, with m either
    /// 0 or 1/(1−p), about a fraction p of zeros, and the identity at inference.
    @Test func dropout() throws {
        let shape = ImageShape(height: 1, width: 1, channels: 1000)
        let network = try singleLayerNetwork(.dropout(p: 0.3), input: shape)
        var random = SplitMix64(seed: 60)
        let input = random.floats(4 * 1000, 0.5, 1)
        let dout = random.floats(4 * 1000)
        let analytic = analyticGradients(network, input: input, outputGradient: dout, batch: 4)
        var zeros = 0
        for i in input.indices {
            let mask = analytic.output[i] / input[i]
            #expect(mask == 0 || isClose(mask, 1 / 0.7, absolute: 1e-5))
            if mask == 0 { zeros += 1 }
            #expect(isClose(analytic.input[i], dout[i] * mask, absolute: 1e-5))
        }
        #expect(abs(Double(zeros) / 4000 - 0.3) < 0.03)
        let inference = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 4) })
        #expect(inference == input)
    }

    @Test func softmaxCrossEntropyGradient() {
        var random = SplitMix64(seed: 70)
        let batch = 3, classes = 10
        let logits = random.floats(batch * classes, -3, 3)
        let labels: [UInt8] = [2, 9, 0]
        for smoothing: Float in [0, 0.1] {
            var gradient = [Float](repeating: 0, count: logits.count)
            let result = softmaxCrossEntropy(logits: logits, labels: labels, batch: batch, classes: classes,
                                             logitsGradient: &gradient, labelSmoothing: smoothing)
            func loss(_ z: [Double]) -> Double {
                var total = 0.0
                for b in 0..<batch {
                    let row = z[(b * classes)..<((b + 1) * classes)]
                    let largest = row.max()!
                    let logSum = log(row.reduce(0) { $0 + exp($1 - largest) }) + largest
                    for j in 0..<classes {
                        let target = Double(j == Int(labels[b]) ? 1 - smoothing + smoothing / 10 : smoothing / 10)
                        total -= target * (z[b * classes + j] - logSum)
                    }
                }
                return total / Double(batch)
            }
            #expect(isClose(Double(result.loss), loss(doubles(logits)), absolute: 1e-5))
            expectClose(gradient, numericGradient(at: doubles(logits), loss), "dLogits (smoothing \(smoothing))")
        }
    }

    /// Loss gradients of a whole network for one batch.
    func networkGradients(_ architecture: Architecture, threads: Int) throws -> [Float] {
        var random = SplitMix64(seed: 80)
        let batch = 24
        let input = random.floats(batch * 784, 0, 1)
        let labels = (0..<batch).map { UInt8($0 % 10) }
        let network = try Network(architecture: architecture, seed: 3, threads: threads)
        let logits = input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch, training: true, stepSeed: 5) }
        var dLogits = [Float](repeating: 0, count: batch * 10)
        softmaxCrossEntropy(logits: logits.baseAddress!, labels: labels, batch: batch, classes: 10, logitsGradient: &dLogits)
        network.zeroGradients()
        network.backward(dLogits, batch: batch, stepSeed: 5)
        return network.gradients.array
    }

    /// Two threads and one split the batch differently, but the summed gradients agree. (Not
    /// with batch norm: there a rounding difference in the statistics can flip a near-tie in a
    /// max pool and send a gradient elsewhere, which is why runs are reproducible per thread count.)
    @Test func gradientsDoNotDependOnThreadCount() throws {
        let one = try networkGradients(.kerasExample, threads: 1)
        let two = try networkGradients(.kerasExample, threads: 2)
        #expect(firstMismatch(one, two, absolute: 1e-5, relative: 1e-3) == nil)
    }

    /// The same thread count gives bit-identical gradients, batch norm and dropout included.
    @Test func gradientsAreReproducible() throws {
        #expect(try networkGradients(.mnistBN, threads: 2) == networkGradients(.mnistBN, threads: 2))
    }
}
