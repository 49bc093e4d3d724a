/// What one forward or backward pass of the whole batch shares with every layer.
public struct PassContext {
    /// Training (batch statistics, dropout, saved values for backward) or inference.
    public var training: Bool
    /// Images in this batch.
    public var batch: Int
    /// The threads, and how many partitions the batch is split into (≥ 1, ≤ batch).
    public var pool: ThreadPool
    public var partitions: Int
    /// The kernel every GEMM goes through.
    public var gemm: GEMMKernel
    /// A seed for this step's randomness (dropout); images draw from it by their index.
    public var stepSeed: UInt64
    /// Bumped whenever parameters change, so layers know when to repack weights.
    public var parameterVersion: Int
    /// The pass covers images firstImage..<firstImage+batch of the buffers.
    public var firstImage = 0
    /// Which per-partition scratch partition 0 uses (a worker running its own micro-batches).
    public var worker = 0
    /// A second thread for a single image's pass, set only when `batch` is 1 (see `splitImage`).
    public var helper: PassHelper?

    /// The images partition `p` owns.
    @inline(__always)
    public func images(of p: Int) -> Range<Int> {
        let range = ThreadPool.range(of: p, partitions: partitions, count: batch)
        return (range.lowerBound + firstImage)..<(range.upperBound + firstImage)
    }

    /// The scratch slot of partition `p`.
    @inline(__always)
    public func slot(_ p: Int) -> Int { worker + p }

    /// The helper to split this pass's one image with, if there is one: a layer whose work
    /// divides into two halves of identical arithmetic runs `helper.run`, giving half 1 the
    /// scratch slot `slot(1)` (reserved when the network has a helper).
    @inline(__always)
    var splitImage: PassHelper? { batch == 1 && partitions == 1 ? helper : nil }
}

/// One layer of a sequential network: forward and backward side by side.
///
/// Buffers are NHWC per image and the batch is the outer dimension. Backward adds into the
/// parameter gradients (`+=`); zeroing them is the network's job. A layer keeps what its
/// backward needs from its forward in its own workspace.
public protocol Layer: AnyObject {
    var spec: LayerSpec { get }
    var inputShape: ImageShape { get }
    var outputShape: ImageShape { get }
    /// Trainable floats (weights and biases), in this layer's internal layout.
    var parameterCount: Int { get }
    /// Non-trainable floats carried with the model (batch norm running statistics).
    var stateCount: Int { get }
    /// Multiply-adds per image in a forward pass.
    var multiplyAdds: Int { get }
    /// Whether output and input may share a buffer.
    var isInPlace: Bool { get }

    /// Points the layer at its slice of the network's parameter, gradient and state buffers.
    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
              state: UnsafeMutablePointer<Float>)
    /// Draws initial parameters (and resets state).
    func initialize(using generator: inout SeededGenerator, scheme: WeightInitialization)
    /// Makes room for batches of up to `batch` images in `partitions` pieces.
    func reserve(batch: Int, partitions: Int, training: Bool)
    /// Precomputes what inference passes share (they may then run concurrently on disjoint
    /// images, so forward must not write shared state at inference).
    func prepareForInference(parameterVersion: Int, gemm: GEMMKernel)

    func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, context: PassContext)
    /// - Parameter inputGradient: where dL/dinput goes (overwritten), or nil for the first layer.
    func backward(inputGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                  input: UnsafePointer<Float>, output: UnsafePointer<Float>, context: PassContext)
}

extension Layer {
    public var parameterCount: Int { 0 }
    public var stateCount: Int { 0 }
    public var multiplyAdds: Int { 0 }
    public var isInPlace: Bool { false }
    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>) {}
    public func initialize(using generator: inout SeededGenerator, scheme: WeightInitialization) {}
    public func reserve(batch: Int, partitions: Int, training: Bool) {}
    public func prepareForInference(parameterVersion: Int, gemm: GEMMKernel) {}
}

/// How convolution and linear weights are drawn (biases start at zero either way).
public enum WeightInitialization: String, Codable, CaseIterable, Sendable {
    /// He et al. 2015: normal with variance 2 / fan-in, for layers followed by ReLU.
    case he
    /// Glorot & Bengio 2010: uniform in ±sqrt(6 / (fan-in + fan-out)).
    case glorot

    func draw(_ weights: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int,
              using generator: inout SeededGenerator) {
        switch self {
        case .he:
            let std = (2 / Float(fanIn)).squareRoot()
            for i in 0..<count { weights[i] = generator.nextNormal() * std }
        case .glorot:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in 0..<count { weights[i] = (generator.nextUnitFloat() * 2 - 1) * limit }
        }
    }
}

/// Parameter gradients summed per partition, then reduced in partition order so that the
/// result does not depend on which thread finished first.
final class PartialGradients {
    private(set) var buffer = FloatBuffer(count: 0)
    private(set) var partitions = 0
    let count: Int

    init(count: Int) { self.count = count }

    func reserve(partitions: Int) {
        guard partitions > self.partitions else { return }
        buffer = FloatBuffer(count: partitions * count)
        self.partitions = partitions
    }

    /// The slice partition p writes.
    @inline(__always)
    func slice(_ p: Int) -> UnsafeMutablePointer<Float> { buffer.pointer + p * count }

    /// gradients += Σ_p slice(p), summed in order p = 0, 1, ..., split across the pool.
    func reduce(into gradients: UnsafeMutablePointer<Float>, context: PassContext) {
        let chunk = max(1024, (count + context.pool.threads - 1) / context.pool.threads)
        let pieces = (count + chunk - 1) / chunk
        let source = buffer.pointer, total = count, partitions = context.partitions
        context.pool.run(partitions: pieces) { piece in
            let range = (piece * chunk)..<min(total, (piece + 1) * chunk)
            for i in range {
                var sum = source[i]
                for p in 1..<max(1, partitions) { sum += source[p * total + i] }
                gradients[i] += sum
            }
        }
    }
}

/// Per-partition scratch for the GEMM kernel.
final class GEMMScratch {
    private var buffers: [FloatBuffer] = []
    let count: Int

    init(count: Int) { self.count = count }

    func reserve(partitions: Int) {
        while buffers.count < partitions { buffers.append(FloatBuffer(count: count)) }
    }

    @inline(__always)
    func pointer(_ p: Int) -> UnsafeMutablePointer<Float> { buffers[p].pointer }
}

/// A K x N weight matrix with its rows padded to a multiple of the kernel's NR, so the GEMM
/// loads whole vectors instead of copying the last column panel on every call. Rebuilt when the
/// parameters change.
final class PackedWeights {
    private var buffer = FloatBuffer(count: 0)
    private var version = -1
    let rows: Int, columns: Int

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// The B operand to use: the weights themselves when no padding is needed, else the copy.
    /// At inference `prepare` has made the copy already, so concurrent passes only read it.
    func operand(_ weight: UnsafePointer<Float>, context: PassContext)
        -> (pointer: UnsafePointer<Float>, ldb: Int, padded: Bool) {
        let nr = context.gemm.nr
        if columns % nr == 0 { return (weight, columns, false) }
        prepare(weight, nr: nr, parameterVersion: context.parameterVersion)
        return (UnsafePointer(buffer.pointer), (columns + nr - 1) / nr * nr, true)
    }

    /// Copies the weights into rows padded to a multiple of `nr` unless the copy is current.
    func prepare(_ weight: UnsafePointer<Float>, nr: Int, parameterVersion: Int) {
        if columns % nr == 0 { return }
        let stride = (columns + nr - 1) / nr * nr
        guard version != parameterVersion || buffer.count != rows * stride else { return }
        if buffer.count != rows * stride { buffer = FloatBuffer(count: rows * stride) }
        for r in 0..<rows { (buffer.pointer + r * stride).update(from: weight + r * columns, count: columns) }
        version = parameterVersion
    }
}

/// A weight layer's parameters as inference uses them, with the batch norm that follows
/// folded in: W'[·][n] = W[·][n]·scale[n] and b'[n] = b[n]·scale[n] + shift[n], so the norm's
/// pass over the activations disappears and its ReLU runs in the layer's epilogue. Without a
/// norm they are the layer's own parameters. Training never reads them.
final class FoldedParameters {
    private var weightCopy = FloatBuffer(count: 0), biasCopy = FloatBuffer(count: 0)
    private(set) var weight: UnsafePointer<Float>?
    private(set) var bias: UnsafePointer<Float>?
    private(set) var version = -1
    let rows: Int, columns: Int

    /// For a K x N weight (N outputs) and its N biases.
    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// Folds `norm` (if any) into `weight` and `bias` unless this version is done already;
    /// returns whether it did.
    @discardableResult
    func update(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, norm: BatchNorm?,
                parameterVersion: Int, gemm: GEMMKernel) -> Bool {
        guard version != parameterVersion else { return false }
        version = parameterVersion
        guard let norm else {
            self.weight = weight
            self.bias = bias
            return true
        }
        norm.prepareForInference(parameterVersion: parameterVersion, gemm: gemm)
        let scale = norm.inferenceScale.pointer, shift = norm.inferenceShift.pointer
        if weightCopy.count != rows * columns {
            weightCopy = FloatBuffer(count: rows * columns)
            biasCopy = FloatBuffer(count: columns)
        }
        for r in 0..<rows {
            for n in 0..<columns { weightCopy.pointer[r * columns + n] = weight[r * columns + n] * scale[n] }
        }
        for n in 0..<columns { biasCopy.pointer[n] = bias[n] * scale[n] + shift[n] }
        self.weight = UnsafePointer(weightCopy.pointer)
        self.bias = UnsafePointer(biasCopy.pointer)
        return true
    }
}

/// 0, 1, 2, ...: the offset table of a plain (not gathered) matrix operand.
enum IdentityOffsets {
    static func make(_ count: Int, stride: Int = 1) -> Buffer<Int> {
        let table = Buffer<Int>(count: count)
        for i in 0..<count { table.pointer[i] = i * stride }
        return table
    }
}
