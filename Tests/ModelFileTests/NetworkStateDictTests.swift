import Foundation
import ModelFile
import TensorCore
import Testing
import TestSupport

/// A plain NCHW forward pass that reads PyTorch-layout tensors from a state dict: what
/// `torch.nn.Sequential` would compute after `load_state_dict`. Inference mode.
func torchStyleForward(_ file: SafeTensorsFile, architecture: Architecture, image: [Float]) throws -> [Float] {
    var x = image // NCHW with N = 1: [C][H][W]
    var c = architecture.input.channels, h = architecture.input.height, w = architecture.input.width
    func tensor(_ name: String) throws -> [Float] { try #require(file[name]).floats }
    for (index, layer) in architecture.layers.enumerated() {
        switch layer {
        case let .conv2d(out, k, s, p):
            let weight = try tensor("\(index).weight"), bias = try tensor("\(index).bias") // [out][c][k][k]
            let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
            var y = [Float](repeating: 0, count: out * oh * ow)
            for o in 0..<out {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum = bias[o]
                        for ci in 0..<c {
                            for kh in 0..<k {
                                for kw in 0..<k {
                                    let yy = i * s + kh - p, xx = j * s + kw - p
                                    guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                                    sum += weight[((o * c + ci) * k + kh) * k + kw] * x[(ci * h + yy) * w + xx]
                                }
                            }
                        }
                        y[(o * oh + i) * ow + j] = sum
                    }
                }
            }
            x = y; c = out; h = oh; w = ow
        case let .maxPool2d(k, s):
            let oh = (h - k) / s + 1, ow = (w - k) / s + 1
            var y = [Float](repeating: 0, count: c * oh * ow)
            for ch in 0..<c {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var best = -Float.infinity
                        for kh in 0..<k { for kw in 0..<k { best = max(best, x[(ch * h + i * s + kh) * w + j * s + kw]) } }
                        y[(ch * oh + i) * ow + j] = best
                    }
                }
            }
            x = y; h = oh; w = ow
        case let .linear(out):
            let weight = try tensor("\(index).weight"), bias = try tensor("\(index).bias") // [out][in]
            let inputs = x.count
            x = (0..<out).map { o in (0..<inputs).reduce(bias[o]) { $0 + weight[o * inputs + $1] * x[$1] } }
            c = out; h = 1; w = 1
        case .relu:
            x = x.map { max($0, 0) }
        case .dropout:
            break
        case .flatten:
            c = c * h * w; h = 1; w = 1 // NCHW flatten: channel, row, column
        case let .batchNorm(eps, _):
            let gamma = try tensor("\(index).weight"), beta = try tensor("\(index).bias")
            let mean = try tensor("\(index).running_mean"), variance = try tensor("\(index).running_var")
            for ch in 0..<c {
                for i in 0..<(h * w) {
                    x[ch * h * w + i] = (x[ch * h * w + i] - mean[ch]) / (variance[ch] + eps).squareRoot() * gamma[ch] + beta[ch]
                }
            }
        }
    }
    return x
}

@Suite struct NetworkStateDictTests {
    /// A small net with every layer kind, padding and stride, and a flatten before a linear layer
    /// and a batch norm 1d after it: the cases where layouts differ between NHWC and NCHW.
    static let architecture = Architecture(input: ImageShape(height: 9, width: 8, channels: 2), layers: [
        .conv2d(outChannels: 5, kernelSize: 3, stride: 1, padding: 1), .batchNorm(), .relu,
        .maxPool2d(kernelSize: 2, stride: 2),
        .conv2d(outChannels: 7, kernelSize: 2, stride: 2, padding: 0), .relu,
        .flatten, .dropout(p: 0.3), .linear(outFeatures: 6), .batchNorm(), .relu, .linear(outFeatures: 4),
    ])

    /// Random parameters and non-trivial batch norm statistics.
    static func network() throws -> Network {
        let network = try Network(architecture: architecture, seed: 5)
        var random = SplitMix64(seed: 9)
        for i in 0..<network.parameterCount { network.parameters.pointer[i] = random.float(-0.5, 0.5) }
        for i in 0..<network.state.count { network.state.pointer[i] = random.float(0.2, 1.5) }
        network.parametersDidChange()
        return network
    }

    @Test func stateDictMatchesPyTorchLayoutsAndOutputs() throws {
        let network = try Self.network()
        let file = try network.stateDict()
        #expect(file.names == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                               "1.num_batches_tracked", "4.weight", "4.bias", "8.weight", "8.bias", "9.weight", "9.bias",
                               "9.running_mean", "9.running_var", "9.num_batches_tracked", "11.weight", "11.bias"])
        #expect(file["0.weight"]?.shape == [5, 2, 3, 3])
        #expect(file["8.weight"]?.shape == [6, 7 * 2 * 2])
        #expect(file["1.num_batches_tracked"]?.dtype == .I64)
        #expect(file["1.num_batches_tracked"]?.shape == [])
        var random = SplitMix64(seed: 10)
        for _ in 0..<3 {
            let nhwc = random.floats(9 * 8 * 2)
            var nchw = [Float](repeating: 0, count: nhwc.count)
            for y in 0..<9 { for x in 0..<8 { for ch in 0..<2 { nchw[(ch * 9 + y) * 8 + x] = nhwc[(y * 8 + x) * 2 + ch] } } }
            let ours = Array(nhwc.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 1) })
            let theirs = try torchStyleForward(file, architecture: Self.architecture, image: nchw)
            #expect(firstMismatch(ours, theirs, absolute: 1e-4) == nil)
        }
    }

    @Test func savedAndLoadedNetworksPredictIdentically() throws {
        let network = try Self.network()
        let bytes = try network.stateDict(metadata: ["note": "round trip"]).encode()
        let file = try SafeTensorsFile.decode(bytes)
        #expect(file.metadata["note"] == "round trip")
        #expect(file.metadata[ModelMetadataKey.format] == ModelMetadataKey.formatValue)
        let loaded = try Network.load(from: file)
        #expect(loaded.architecture == Self.architecture)
        #expect(loaded.parameters.array == network.parameters.array)
        var random = SplitMix64(seed: 11)
        let input = random.floats(4 * 144)
        let a = input.withUnsafeBufferPointer { Array(network.forward($0.baseAddress!, batch: 4)) }
        let b = input.withUnsafeBufferPointer { Array(loaded.forward($0.baseAddress!, batch: 4)) }
        #expect(a == b)
    }

    @Test func badStateDictsAreRefusedWithTheReason() throws {
        let good = try Self.network().stateDict()
        var missing = good
        missing["4.bias"] = nil
        #expect(throws: ModelFileError.missingTensor(path: "m", name: "4.bias")) { _ = try Network.load(from: missing, path: "m") }
        var extra = good
        extra["12.weight"] = .init(shape: [1], floats: [0])
        #expect(throws: ModelFileError.unexpectedTensor(path: "m", name: "12.weight")) { _ = try Network.load(from: extra, path: "m") }
        var wrongShape = good
        wrongShape["0.weight"] = .init(shape: [5, 2, 9], floats: [Float](repeating: 0, count: 90))
        #expect(throws: ModelFileError.wrongShape(path: "m", name: "0.weight", expected: [5, 2, 3, 3], found: [5, 2, 9])) {
            _ = try Network.load(from: wrongShape, path: "m")
        }
        var notFinite = good
        notFinite["0.bias"] = .init(shape: [5], floats: [0, .nan, 0, 0, 0])
        #expect(throws: ModelFileError.notFinite(path: "m", name: "0.bias")) { _ = try Network.load(from: notFinite, path: "m") }
        var noArchitecture = good
        noArchitecture.metadata[ModelMetadataKey.architecture] = nil
        #expect(throws: ModelFileError.missingMetadata(path: "m", key: "architecture")) { _ = try Network.load(from: noArchitecture, path: "m") }
        var badArchitecture = good
        badArchitecture.metadata[ModelMetadataKey.architecture] = #"{"layers": [{"type": "linear", "out_features": 3}]}"#
        #expect(throws: ModelFileError.self) { _ = try Network.load(from: badArchitecture, path: "m") }
    }
}
