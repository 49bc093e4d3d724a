import CPUFeatures
import KernelInterface
import Synchronization
#if arch(x86_64)
import KernelsAVX2
import KernelsAVX512
#endif
import KernelsBaseline

/// The instruction sets the GEMM kernel is compiled for; one is chosen at start.
public enum InstructionSet: String, CaseIterable, Sendable, Codable {
    case avx512
    case avx2
    case baseline

    /// The best set this CPU supports (from CPUID).
    public static let best: InstructionSet = allCases.first { $0.isSupported } ?? .baseline

    /// Whether this CPU (and OS) can run the kernel compiled for this set.
    public var isSupported: Bool {
        #if arch(x86_64)
        switch self {
        case .avx512: return cpu_has_avx512f() != 0
        case .avx2: return cpu_has_avx2_fma() != 0
        case .baseline: return true
        }
        #else
        return self == .baseline
        #endif
    }
}

/// The kernels of one instruction set (a kernel module's `Kernel`, through `KernelSet`), with
/// the tile sizes their callers need to know.
public struct GEMMKernel: Sendable {
    public let instructionSet: InstructionSet
    /// Floats of scratch every `gatherGEMM` call needs.
    public let scratchCount: Int
    /// Rows of the register tile: `gatherGEMM` computes every row of C the same way when the
    /// rows are split at a multiple of this.
    public let mr: Int
    /// Columns of the register tile: a B operand padded to a multiple of this needs no copy.
    public let nr: Int
    private let gemm: @Sendable (
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ a: UnsafePointer<Float>, _ rowOffsets: UnsafePointer<Int>, _ colOffsets: UnsafePointer<Int>,
        _ b: UnsafePointer<Float>, _ ldb: Int, _ bIsPadded: Bool, _ m: Int, _ n: Int, _ k: Int,
        _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ relu: Bool, _ scratch: UnsafeMutablePointer<Float>) -> Void
    /// Winograd F(2x2, 3x3) transforms: (image, height, width, channels, tile rows, tile columns, V)
    /// and (M, bias, relu, height, width, channels, tile rows, tile columns, output).
    public let winogradInput: @Sendable (
        UnsafePointer<Float>, Int, Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    public let winogradOutput: @Sendable (
        UnsafePointer<Float>, UnsafePointer<Float>, Bool, Int, Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    /// 2x2 max pooling of one image: (input, height, width, channels, output).
    public let maxPool2x2: @Sendable (UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    /// C = A·Wᵀ as dot products of rows: (C, ldc, A, lda, W, m, n, k, bias, relu).
    public let dotRows: @Sendable (
        UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Int, Int,
        UnsafePointer<Float>?, Bool) -> Void

    /// The kernels for `instructionSet`, or nil where this CPU or build lacks them.
    public init?(_ instructionSet: InstructionSet) {
        guard instructionSet.isSupported else { return nil }
        switch instructionSet {
        #if arch(x86_64)
        case .avx512: self.init(instructionSet, KernelsAVX512.Kernel.self)
        case .avx2: self.init(instructionSet, KernelsAVX2.Kernel.self)
        #else
        case .avx512, .avx2: return nil
        #endif
        case .baseline: self.init(instructionSet, KernelsBaseline.Kernel.self)
        }
    }

    private init<K: KernelSet>(_ instructionSet: InstructionSet, _ kernel: K.Type) {
        self.instructionSet = instructionSet
        scratchCount = K.scratchCount
        mr = K.mr
        nr = K.nr
        gemm = { c, ldc, a, rowOffsets, colOffsets, b, ldb, padded, m, n, k, accumulate, bias, relu, scratch in
            K.gatherGEMM(c: c, ldc: ldc, a: a, rowOffsets: rowOffsets, colOffsets: colOffsets, b: b, ldb: ldb,
                         bIsPadded: padded, m: m, n: n, k: k, accumulate: accumulate, bias: bias, relu: relu,
                         scratch: scratch)
        }
        winogradInput = { image, height, width, channels, rows, columns, v in
            K.winogradInput(image: image, height: height, width: width, channels: channels, tileRows: rows,
                            tileColumns: columns, v: v)
        }
        winogradOutput = { m, bias, relu, height, width, channels, rows, columns, output in
            K.winogradOutput(m: m, bias: bias, relu: relu, height: height, width: width, channels: channels,
                             tileRows: rows, tileColumns: columns, output: output)
        }
        maxPool2x2 = { input, height, width, channels, output in
            K.maxPool2x2(input: input, height: height, width: width, channels: channels, output: output)
        }
        dotRows = { c, ldc, a, lda, w, m, n, k, bias, relu in
            K.dotRows(c: c, ldc: ldc, a: a, lda: lda, w: w, m: m, n: n, k: k, bias: bias, relu: relu)
        }
    }

    /// The kernel a new `Network` uses: the best this CPU runs, unless start-up chose another
    /// with `use(_:)`.
    public static var active: GEMMKernel { selected.withLock { $0 } }

    /// Makes networks created from now on use `instructionSet`'s kernels, when this CPU runs
    /// them; nil, or a set it cannot run, selects the best. The command line passes the
    /// `MNIST_CNN_ISA` environment variable here (to test every path on one machine): this
    /// module reads no environment itself.
    public static func use(_ instructionSet: InstructionSet?) {
        let kernel = instructionSet.flatMap { GEMMKernel($0) } ?? GEMMKernel(.best)!
        selected.withLock { $0 = kernel }
    }

    /// Floats of scratch enough for any instruction set's `gatherGEMM`, so a layer's scratch
    /// fits whichever kernel its network is given.
    public static let largestScratchCount = InstructionSet.allCases.compactMap { GEMMKernel($0)?.scratchCount }.max()!

    private static let selected = Mutex(GEMMKernel(.best)!)

    /// C[m, n] = (C +) Σ_t a[rowOffsets[m] + colOffsets[t]] · b[t * ldb + n] (+ bias[n]), ReLU optional.
    @inline(__always)
    public func gatherGEMM(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, bIsPadded: Bool = false, m: Int, n: Int, k: Int,
        accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, relu: Bool = false,
        scratch: UnsafeMutablePointer<Float>
    ) {
        gemm(c, ldc, a, rowOffsets, colOffsets, b, ldb, bIsPadded, m, n, k, accumulate, bias, relu, scratch)
    }
}
