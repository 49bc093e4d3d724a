#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore

/// Why a model file could not become a network.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case missingMetadata(path: String, key: String)
    case badArchitecture(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case unexpectedTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    case wrongDType(path: String, name: String, found: String)
    case notFinite(path: String, name: String)

    public var description: String {
        switch self {
        case let .missingMetadata(path, key): return "\(path): metadata has no '\(key)' entry"
        case let .badArchitecture(path, reason): return "\(path): architecture in metadata is unusable: \(reason)"
        case let .missingTensor(path, name): return "\(path): tensor '\(name)' is missing"
        case let .unexpectedTensor(path, name): return "\(path): tensor '\(name)' does not belong to the architecture"
        case let .wrongShape(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case let .wrongDType(path, name, found): return "\(path): tensor '\(name)' has dtype \(found), expected F32"
        case let .notFinite(path, name): return "\(path): tensor '\(name)' holds NaN or infinity"
        }
    }
}

/// The metadata keys this project writes into `__metadata__`.
public enum ModelMetadataKey {
    public static let format = "format"
    public static let architecture = "architecture"
    public static let architectureName = "architecture_name"
    public static let pytorch = "pytorch"
    public static let formatValue = "mnist-cnn/1"
}

/// Conversion between the network's internal layouts and PyTorch's `state_dict` of the
/// `torch.nn.Sequential` the architecture describes: keys `<index>.weight`, conv weights
/// [out, in, kh, kw], linear weights [out, in] with `in` in channel-row-column order after a
/// flatten, batch norm running statistics and `num_batches_tracked` (I64).
extension Network {
    /// One tensor of the state dict: its PyTorch name and shape, and where its floats live here.
    struct StateEntry {
        var name: String
        var shape: [Int]
        /// Element i (PyTorch order) is at `base[index(i)]`.
        var base: UnsafeMutablePointer<Float>
        var index: (Int) -> Int
        var isCount = false
    }

    /// For each layer, the image shape whose NHWC flatten feeds it (nil when its input is not a
    /// flattened image, or it has passed through a linear layer since).
    private var flattenedSources: [ImageShape?] {
        var result: [ImageShape?] = []
        var source: ImageShape?
        for layer in layers {
            result.append(source)
            if layer is Flatten, !layer.inputShape.isFlat { source = layer.inputShape }
            if layer is Linear { source = nil }
        }
        return result
    }

    /// PyTorch's feature index (c·H·W + h·W + w) → ours ((h·W + w)·C + c).
    private static func featureIndex(_ f: Int, _ source: ImageShape?) -> Int {
        guard let s = source else { return f }
        let c = f / (s.height * s.width), hw = f % (s.height * s.width)
        return hw * s.channels + c
    }

    func stateEntries() -> [StateEntry] {
        var entries: [StateEntry] = []
        let sources = flattenedSources
        for (index, layer) in layers.enumerated() {
            let source = sources[index]
            switch layer {
            case let conv as Conv2D:
                let cout = conv.outputShape.channels, cin = conv.inputShape.channels, k = conv.kernelSize
                entries.append(StateEntry(name: "\(index).weight", shape: [cout, cin, k, k], base: conv.weight) { i in
                    let co = i / (cin * k * k), ci = (i / (k * k)) % cin, kh = (i / k) % k, kw = i % k
                    return ((kh * k + kw) * cin + ci) * cout + co
                })
                entries.append(StateEntry(name: "\(index).bias", shape: [cout], base: conv.bias) { $0 })
            case let linear as Linear:
                let outputs = linear.outputShape.count, inputs = linear.inputShape.count
                entries.append(StateEntry(name: "\(index).weight", shape: [outputs, inputs], base: linear.weight) { i in
                    Network.featureIndex(i % inputs, source) * outputs + i / inputs
                })
                entries.append(StateEntry(name: "\(index).bias", shape: [outputs], base: linear.bias) { $0 })
            case let norm as BatchNorm:
                let c = norm.inputShape.channels
                let map: (Int) -> Int = { Network.featureIndex($0, source) }
                entries.append(StateEntry(name: "\(index).weight", shape: [c], base: norm.gamma, index: map))
                entries.append(StateEntry(name: "\(index).bias", shape: [c], base: norm.beta, index: map))
                entries.append(StateEntry(name: "\(index).running_mean", shape: [c], base: norm.runningMean, index: map))
                entries.append(StateEntry(name: "\(index).running_var", shape: [c], base: norm.runningVariance, index: map))
                entries.append(StateEntry(name: "\(index).num_batches_tracked", shape: [], base: norm.batchesTracked,
                                          index: { $0 }, isCount: true))
            default:
                break
            }
        }
        return entries
    }

    /// The network as a safetensors file PyTorch's `load_state_dict` accepts, with the
    /// architecture (and `metadata`) in `__metadata__`.
    public func stateDict(metadata: [String: String] = [:]) throws -> SafeTensorsFile {
        var file = SafeTensorsFile(metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        file.metadata[ModelMetadataKey.format] = ModelMetadataKey.formatValue
        file.metadata[ModelMetadataKey.architecture] = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        if let name = architecture.name { file.metadata[ModelMetadataKey.architectureName] = name }
        file.metadata[ModelMetadataKey.pytorch] = torchSequential
        for entry in stateEntries() {
            let count = entry.shape.reduce(1, *)
            if entry.isCount {
                var value = Int64(entry.base.pointee).littleEndian
                let bytes = withUnsafeBytes(of: &value) { Array($0) }
                file[entry.name] = SafeTensors.Tensor(dtype: .I64, shape: [], data: bytes)
            } else {
                file[entry.name] = SafeTensors.Tensor(shape: entry.shape, floats: (0..<count).map { entry.base[entry.index($0)] })
            }
        }
        return file
    }

    /// The PyTorch code that builds the matching module.
    public var torchSequential: String {
        var input = architecture.input
        var lines: [String] = []
        for spec in architecture.layers {
            lines.append("    " + spec.torchModule(input: input) + ",")
            if let next = try? Architecture(input: input, layers: [spec]).shapes().first { input = next }
        }
        return "nn.Sequential(\n" + lines.joined(separator: "\n") + "\n)"
    }

    /// Builds the network a safetensors file describes and loads its tensors, checking every
    /// name, dtype, shape and value.
    public static func load(from file: SafeTensorsFile, path: String = "<memory>", threads: Int = 1) throws -> Network {
        guard let json = file.metadata[ModelMetadataKey.architecture] else {
            throw ModelFileError.missingMetadata(path: path, key: ModelMetadataKey.architecture)
        }
        let architecture: Architecture
        do {
            architecture = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
            _ = try architecture.shapes()
        } catch let error as ArchitectureError {
            throw ModelFileError.badArchitecture(path: path, reason: error.description)
        } catch {
            throw ModelFileError.badArchitecture(path: path, reason: "\(error)")
        }
        let network = try Network(architecture: architecture, threads: threads)
        try network.loadState(file, path: path)
        return network
    }

    /// Copies a state dict's tensors into this network's parameters and state.
    public func loadState(_ file: SafeTensorsFile, path: String = "<memory>") throws {
        let entries = stateEntries()
        let expected = Set(entries.map(\.name))
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw ModelFileError.unexpectedTensor(path: path, name: extra)
        }
        for entry in entries {
            guard let tensor = file[entry.name] else { throw ModelFileError.missingTensor(path: path, name: entry.name) }
            guard tensor.shape == entry.shape else {
                throw ModelFileError.wrongShape(path: path, name: entry.name, expected: entry.shape, found: tensor.shape)
            }
            if entry.isCount {
                guard tensor.dtype == .I64 || tensor.dtype == .F32 else {
                    throw ModelFileError.wrongDType(path: path, name: entry.name, found: tensor.dtype.rawValue)
                }
                entry.base.pointee = tensor.dtype == .I64
                    ? Float(tensor.data.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) })
                    : try tensor.floats[0]
                continue
            }
            guard tensor.dtype == .F32 else {
                throw ModelFileError.wrongDType(path: path, name: entry.name, found: tensor.dtype.rawValue)
            }
            let values = try tensor.floats
            guard values.allSatisfy(\.isFinite) else { throw ModelFileError.notFinite(path: path, name: entry.name) }
            for (i, value) in values.enumerated() { entry.base[entry.index(i)] = value }
        }
        parametersDidChange()
    }
}
