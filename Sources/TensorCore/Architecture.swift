/// The shape of one image as it flows through the network: height x width x channels (NHWC
/// per image). A flattened vector of n features is 1 x 1 x n.
public struct ImageShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Floats per image.
    public var count: Int { height * width * channels }
    public var isFlat: Bool { height == 1 && width == 1 }
    public var description: String { isFlat ? "\(channels)" : "\(channels)x\(height)x\(width)" }
}

/// One layer of a sequential network, as data. Its JSON form names fields the way PyTorch's
/// constructors do (`out_channels`, `kernel_size`, ...), so a layer list reads like the
/// `torch.nn.Sequential` it describes.
public enum LayerSpec: Hashable, Sendable {
    case conv2d(outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0)
    case maxPool2d(kernelSize: Int, stride: Int)
    case linear(outFeatures: Int)
    case relu
    case dropout(p: Float)
    case flatten
    /// Batch normalization over channels (after a convolution) or features (after a linear layer).
    case batchNorm(eps: Float = 1e-5, momentum: Float = 0.1)

    /// The PyTorch module this layer corresponds to (for the model card and interop).
    public func torchModule(input: ImageShape) -> String {
        switch self {
        case let .conv2d(out, k, s, p):
            return "nn.Conv2d(\(input.channels), \(out), kernel_size=\(k), stride=\(s), padding=\(p))"
        case let .maxPool2d(k, s): return "nn.MaxPool2d(kernel_size=\(k), stride=\(s))"
        case let .linear(out): return "nn.Linear(\(input.count), \(out))"
        case .relu: return "nn.ReLU()"
        case let .dropout(p): return "nn.Dropout(p=\(p))"
        case .flatten: return "nn.Flatten()"
        case let .batchNorm(eps, momentum):
            return input.isFlat
                ? "nn.BatchNorm1d(\(input.channels), eps=\(eps), momentum=\(momentum))"
                : "nn.BatchNorm2d(\(input.channels), eps=\(eps), momentum=\(momentum))"
        }
    }
}

public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    case invalid(layer: Int, reason: String)
    case unknownName(String)
    case empty

    public var description: String {
        switch self {
        case let .invalid(layer, reason): return "layer \(layer): \(reason)"
        case let .unknownName(name):
            return "unknown architecture '\(name)' (known: \(Architecture.named.keys.sorted().joined(separator: ", ")))"
        case .empty: return "an architecture needs at least one layer"
        }
    }
}

/// A sequential network as data: the input shape and the list of layers. This is what the
/// model file's metadata and `/train` name.
public struct Architecture: Hashable, Sendable {
    public var input: ImageShape
    public var layers: [LayerSpec]

    public init(input: ImageShape = ImageShape(height: 28, width: 28, channels: 1), layers: [LayerSpec]) {
        self.input = input
        self.layers = layers
    }

    /// The classic Keras MNIST example: 2.44 M multiply-adds per image, about 99.2 %.
    public static let kerasExample = Architecture(layers: [
        .conv2d(outChannels: 32, kernelSize: 3), .relu, .maxPool2d(kernelSize: 2, stride: 2),
        .conv2d(outChannels: 64, kernelSize: 3), .relu, .maxPool2d(kernelSize: 2, stride: 2),
        .flatten, .dropout(p: 0.5), .linear(outFeatures: 10),
    ])

    /// Two VGG-style blocks with batch normalization: what the shipped model uses.
    public static let mnistBN = Architecture(layers: [
        .conv2d(outChannels: 32, kernelSize: 3), .batchNorm(), .relu,
        .conv2d(outChannels: 32, kernelSize: 3), .batchNorm(), .relu,
        .maxPool2d(kernelSize: 2, stride: 2),
        .conv2d(outChannels: 64, kernelSize: 3), .batchNorm(), .relu,
        .conv2d(outChannels: 64, kernelSize: 3), .batchNorm(), .relu,
        .maxPool2d(kernelSize: 2, stride: 2),
        .flatten,
        .linear(outFeatures: 256), .batchNorm(), .relu, .dropout(p: 0.4),
        .linear(outFeatures: 10),
    ])

    /// A tiny network for tests and smoke runs.
    public static let tiny = Architecture(layers: [
        .conv2d(outChannels: 8, kernelSize: 3, stride: 1, padding: 1), .relu, .maxPool2d(kernelSize: 2, stride: 2),
        .conv2d(outChannels: 16, kernelSize: 3, stride: 2), .relu,
        .flatten, .linear(outFeatures: 10),
    ])

    /// Architectures that can be named instead of listed.
    public static let named: [String: Architecture] = [
        "keras-example": kerasExample,
        "mnist-bn": mnistBN,
        "tiny": tiny,
    ]

    public static func named(_ name: String) throws -> Architecture {
        guard let architecture = named[name] else { throw ArchitectureError.unknownName(name) }
        return architecture
    }

    /// The name this architecture is known by, if any.
    public var name: String? { Self.named.first { $0.value == self }?.key }

    /// The largest input height, width or channel count an architecture may declare.
    public static let maximumInputSide = 4096

    /// The shape after each layer (index i is the output of layer i), checking every layer fits.
    public func shapes() throws -> [ImageShape] {
        guard !layers.isEmpty else { throw ArchitectureError.empty }
        guard input.height > 0, input.width > 0, input.channels > 0 else {
            throw ArchitectureError.invalid(layer: 0, reason: "input shape \(input) is empty")
        }
        // Bounded like the layers below (and the 4096x4096 image decode cap), so no shape's
        // element count can overflow `Int` however the layers grow it.
        guard input.height <= Self.maximumInputSide, input.width <= Self.maximumInputSide,
              input.channels <= Self.maximumInputSide else {
            throw ArchitectureError.invalid(
                layer: 0, reason: "input shape \(input): each dimension must be at most \(Self.maximumInputSide)")
        }
        var shape = input
        var result: [ImageShape] = []
        for (index, layer) in layers.enumerated() {
            func fail(_ reason: String) -> ArchitectureError { .invalid(layer: index, reason: reason) }
            switch layer {
            case let .conv2d(out, k, s, p):
                guard !shape.isFlat || shape.channels == input.channels && input.isFlat else {
                    throw fail("conv2d needs an image, got a flat vector of \(shape.channels)")
                }
                guard out > 0, out <= 4096 else { throw fail("out_channels must be in 1...4096") }
                guard k > 0, k <= 15 else { throw fail("kernel_size must be in 1...15") }
                guard s > 0, s <= k else { throw fail("stride must be in 1...kernel_size") }
                guard p >= 0, p < k else { throw fail("padding must be in 0..<kernel_size") }
                let h = (shape.height + 2 * p - k) / s + 1, w = (shape.width + 2 * p - k) / s + 1
                guard shape.height + 2 * p >= k, shape.width + 2 * p >= k, h > 0, w > 0 else {
                    throw fail("kernel \(k)x\(k) does not fit a \(shape.height)x\(shape.width) input")
                }
                shape = ImageShape(height: h, width: w, channels: out)
            case let .maxPool2d(k, s):
                guard k > 0, s > 0, k <= 8, s <= 8 else { throw fail("kernel_size and stride must be in 1...8") }
                guard shape.height >= k, shape.width >= k else {
                    throw fail("pool \(k)x\(k) does not fit a \(shape.height)x\(shape.width) input")
                }
                shape = ImageShape(height: (shape.height - k) / s + 1, width: (shape.width - k) / s + 1,
                                   channels: shape.channels)
            case let .linear(out):
                guard shape.isFlat else { throw fail("linear needs a flat input: add flatten before it") }
                guard out > 0, out <= 65536 else { throw fail("out_features must be in 1...65536") }
                shape = ImageShape(height: 1, width: 1, channels: out)
            case .relu:
                break
            case let .dropout(p):
                guard p >= 0, p < 1 else { throw fail("dropout p must be in [0, 1)") }
            case .flatten:
                shape = ImageShape(height: 1, width: 1, channels: shape.count)
            case let .batchNorm(eps, momentum):
                guard eps > 0, eps < 1 else { throw fail("batchnorm eps must be in (0, 1)") }
                guard momentum >= 0, momentum <= 1 else { throw fail("batchnorm momentum must be in [0, 1]") }
            }
            result.append(shape)
        }
        return result
    }

    /// Number of classes the network outputs.
    public func outputCount() throws -> Int { try shapes().last!.count }
}

// MARK: - JSON form

extension LayerSpec: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, outChannels = "out_channels", kernelSize = "kernel_size", stride, padding
        case outFeatures = "out_features", p, eps, momentum
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type.lowercased() {
        case "conv2d":
            self = .conv2d(outChannels: try container.decode(Int.self, forKey: .outChannels),
                           kernelSize: try container.decode(Int.self, forKey: .kernelSize),
                           stride: try container.decodeIfPresent(Int.self, forKey: .stride) ?? 1,
                           padding: try container.decodeIfPresent(Int.self, forKey: .padding) ?? 0)
        case "maxpool2d":
            let k = try container.decode(Int.self, forKey: .kernelSize)
            self = .maxPool2d(kernelSize: k, stride: try container.decodeIfPresent(Int.self, forKey: .stride) ?? k)
        case "linear":
            self = .linear(outFeatures: try container.decode(Int.self, forKey: .outFeatures))
        case "relu": self = .relu
        case "dropout": self = .dropout(p: try container.decodeIfPresent(Float.self, forKey: .p) ?? 0.5)
        case "flatten": self = .flatten
        case "batchnorm", "batchnorm1d", "batchnorm2d":
            self = .batchNorm(eps: try container.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-5,
                              momentum: try container.decodeIfPresent(Float.self, forKey: .momentum) ?? 0.1)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "unknown layer type '\(type)' (known: conv2d, maxpool2d, linear, relu, dropout, flatten, batchnorm)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .conv2d(out, k, s, p):
            try container.encode("conv2d", forKey: .type)
            try container.encode(out, forKey: .outChannels)
            try container.encode(k, forKey: .kernelSize)
            try container.encode(s, forKey: .stride)
            try container.encode(p, forKey: .padding)
        case let .maxPool2d(k, s):
            try container.encode("maxpool2d", forKey: .type)
            try container.encode(k, forKey: .kernelSize)
            try container.encode(s, forKey: .stride)
        case let .linear(out):
            try container.encode("linear", forKey: .type)
            try container.encode(out, forKey: .outFeatures)
        case .relu: try container.encode("relu", forKey: .type)
        case let .dropout(p):
            try container.encode("dropout", forKey: .type)
            try container.encode(p, forKey: .p)
        case .flatten: try container.encode("flatten", forKey: .type)
        case let .batchNorm(eps, momentum):
            try container.encode("batchnorm", forKey: .type)
            try container.encode(eps, forKey: .eps)
            try container.encode(momentum, forKey: .momentum)
        }
    }
}

extension Architecture: Codable {
    private enum CodingKeys: String, CodingKey { case input, layers }

    /// Decodes `{"input": [channels, height, width], "layers": [...]}` (input optional,
    /// default 1x28x28) or a bare layer list.
    public init(from decoder: any Decoder) throws {
        if let layers = try? [LayerSpec](from: decoder) {
            self.init(layers: layers)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let layers = try container.decode([LayerSpec].self, forKey: .layers)
        if let input = try container.decodeIfPresent([Int].self, forKey: .input) {
            guard input.count == 3 else {
                throw DecodingError.dataCorruptedError(forKey: .input, in: container,
                                                       debugDescription: "input must be [channels, height, width]")
            }
            self.init(input: ImageShape(height: input[1], width: input[2], channels: input[0]), layers: layers)
        } else {
            self.init(layers: layers)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode([input.channels, input.height, input.width], forKey: .input)
        try container.encode(layers, forKey: .layers)
    }
}
