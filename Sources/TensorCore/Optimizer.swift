#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which optimizer updates the parameters, with its hyperparameters.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// SGD with (Nesterov) momentum; weight decay as an L2 term in the gradient.
    case sgd
    /// Adam (Kingma & Ba 2015); weight decay as an L2 term in the gradient.
    case adam
    /// AdamW (Loshchilov & Hutter 2019): weight decay decoupled from the gradient.
    case adamw
}

public struct OptimizerSettings: Codable, Hashable, Sendable {
    public var kind: OptimizerKind
    public var weightDecay: Float
    public var momentum: Float
    public var beta1: Float, beta2: Float, epsilon: Float

    public init(kind: OptimizerKind, weightDecay: Float = 0, momentum: Float = 0.9,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.kind = kind
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// Updates a network's parameters from its gradients. Weight decay applies to convolution and
/// linear weights only, never to biases or batch norm parameters.
public final class Optimizer {
    public let settings: OptimizerSettings
    /// Steps taken so far (Adam's bias correction needs it; checkpoints save it).
    public private(set) var step = 0
    /// First and second moments (Adam) or velocity (SGD), like the parameters.
    public let firstMoment: FloatBuffer, secondMoment: FloatBuffer
    private let decays: Buffer<Float> // 1 where weight decay applies, else 0

    public init(settings: OptimizerSettings, network: Network) {
        self.settings = settings
        firstMoment = FloatBuffer(count: network.parameterCount)
        secondMoment = FloatBuffer(count: settings.kind == .sgd ? 0 : network.parameterCount)
        decays = Buffer<Float>(count: network.parameterCount)
        for (index, layer) in network.layers.enumerated() {
            let start = network.parameterOffsets[index]
            switch layer {
            case let conv as Conv2D:
                (decays.pointer + start).update(repeating: 1, count: conv.reduction * conv.outputShape.channels)
            case let linear as Linear:
                (decays.pointer + start).update(repeating: 1, count: linear.inputs * linear.outputs)
            default:
                break
            }
        }
    }

    /// Restores the step count (with the moments, which the caller copies) from a checkpoint.
    public func restore(step: Int) { self.step = step }

    /// One update with learning rate `rate`.
    public func update(_ network: Network, learningRate rate: Float) {
        step += 1
        let n = network.parameterCount
        let w = network.parameters.pointer, g = network.gradients.pointer
        let m = firstMoment.pointer, decay = decays.pointer
        let lambda = settings.weightDecay
        switch settings.kind {
        case .sgd:
            let mu = settings.momentum
            for i in 0..<n {
                let gradient = g[i] + lambda * decay[i] * w[i]
                m[i] = mu * m[i] + gradient
                w[i] -= rate * (gradient + mu * m[i]) // Nesterov
            }
        case .adam, .adamw:
            let v = secondMoment.pointer
            let b1 = settings.beta1, b2 = settings.beta2, eps = settings.epsilon
            let correction1 = 1 - powf(b1, Float(step)), correction2 = 1 - powf(b2, Float(step))
            let stepSize = rate / correction1, root2 = correction2.squareRoot()
            let decoupled = settings.kind == .adamw
            for i in 0..<n {
                let gradient = decoupled ? g[i] : g[i] + lambda * decay[i] * w[i]
                m[i] = b1 * m[i] + (1 - b1) * gradient
                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                if decoupled { w[i] -= rate * lambda * decay[i] * w[i] }
                w[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
            }
        }
        network.parametersDidChange()
    }
}

/// How the learning rate moves over training. Rates are functions of the step (0-based) and
/// the total number of steps, so a resumed run continues on the same curve.
public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
    case constant
    /// × 0.1 at 50 % and again at 75 % of training.
    case step
    /// Cosine from the peak to zero, after a 2 % linear warm-up.
    case cosine
    /// One-cycle (Smith 2018): warm up from peak/25 over 25 % of training, then cosine down to peak/10⁴.
    case oneCycle = "one_cycle"

    public func rate(peak: Float, step: Int, totalSteps: Int) -> Float {
        let total = max(1, totalSteps)
        let progress = Float(min(step, total)) / Float(total)
        switch self {
        case .constant:
            return peak
        case .step:
            return progress < 0.5 ? peak : progress < 0.75 ? peak * 0.1 : peak * 0.01
        case .cosine:
            let warmup: Float = 0.02
            if progress < warmup { return peak * (progress / warmup) }
            let t = (progress - warmup) / (1 - warmup)
            return peak * 0.5 * (1 + cosf(Float.pi * t))
        case .oneCycle:
            let warmup: Float = 0.25
            let initial = peak / 25, final = peak / 10_000
            if progress < warmup {
                let t = progress / warmup
                return initial + (peak - initial) * 0.5 * (1 - cosf(Float.pi * t))
            }
            let t = (progress - warmup) / (1 - warmup)
            return final + (peak - final) * 0.5 * (1 + cosf(Float.pi * t))
        }
    }
}
