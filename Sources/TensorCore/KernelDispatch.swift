import CPUFeatures
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

    /// The best set this CPU supports, or the one `MNIST_CNN_ISA` names (for testing every path).
    public static let detected: InstructionSet = {
        if let forced = getenv("MNIST_CNN_ISA").flatMap({ InstructionSet(rawValue: String(cString: $0)) }),
           forced.isSupported {
            return forced
        }
        return allCases.first { $0.isSupported } ?? .baseline
    }()

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

/// The signature of `Kernel.gatherGEMM` in every kernel module.
public typealias GatherGEMM = @Sendable (
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ a: UnsafePointer<Float>, _ rowOffsets: UnsafePointer<Int>, _ colOffsets: UnsafePointer<Int>,
    _ b: UnsafePointer<Float>, _ ldb: Int, _ bIsPadded: Bool,
    _ m: Int, _ n: Int, _ k: Int,
    _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ relu: Bool,
    _ scratch: UnsafeMutablePointer<Float>
) -> Void

/// `Kernel.winogradInput` and `Kernel.winogradOutput` in every kernel module.
public typealias WinogradInput = @Sendable (
    _ image: UnsafePointer<Float>, _ height: Int, _ width: Int, _ channels: Int,
    _ tileRows: Int, _ tileColumns: Int, _ v: UnsafeMutablePointer<Float>) -> Void
public typealias WinogradOutput = @Sendable (
    _ m: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ relu: Bool, _ height: Int, _ width: Int, _ channels: Int,
    _ tileRows: Int, _ tileColumns: Int, _ output: UnsafeMutablePointer<Float>) -> Void

/// `Kernel.maxPool2x2` in every kernel module: one image, 2x2 windows, stride 2.
public typealias MaxPool2x2 = @Sendable (
    _ input: UnsafePointer<Float>, _ height: Int, _ width: Int, _ channels: Int, _ output: UnsafeMutablePointer<Float>) -> Void

/// `Kernel.dotRows` in every kernel module: C = A·Wᵀ as dot products, for narrow outputs.
public typealias DotRows = @Sendable (
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ w: UnsafePointer<Float>,
    _ m: Int, _ n: Int, _ k: Int, _ bias: UnsafePointer<Float>?, _ relu: Bool) -> Void

/// The GEMM of one instruction set, with the tile sizes its callers need to know.
public struct GEMMKernel: Sendable {
    public let instructionSet: InstructionSet
    /// Floats of scratch every call needs.
    public let scratchCount: Int
    /// Columns of the register tile: a B operand padded to a multiple of this needs no copy.
    public let nr: Int
    let function: GatherGEMM
    /// Winograd F(2x2, 3x3) transforms of the same instruction set.
    public let winogradInput: WinogradInput
    public let winogradOutput: WinogradOutput
    /// 2x2 max pooling of the same instruction set.
    public let maxPool2x2: MaxPool2x2
    /// Dot products of rows of the same instruction set.
    public let dotRows: DotRows

    /// The kernel for `instructionSet`, or nil where this CPU or build lacks it.
    public init?(_ instructionSet: InstructionSet) {
        guard instructionSet.isSupported else { return nil }
        self.instructionSet = instructionSet
        switch instructionSet {
        #if arch(x86_64)
        case .avx512:
            scratchCount = KernelsAVX512.Kernel.scratchCount
            maxPool2x2 = { input, h, w, c, output in
                KernelsAVX512.Kernel.maxPool2x2(input: input, height: h, width: w, channels: c, output: output)
            }
            dotRows = { c, ldc, a, lda, weight, m, n, k, bias, relu in
                KernelsAVX512.Kernel.dotRows(c: c, ldc: ldc, a: a, lda: lda, w: weight, m: m, n: n, k: k, bias: bias, relu: relu)
            }
            nr = KernelsAVX512.Kernel.nr
            winogradInput = { image, h, w, c, rows, columns, v in
                KernelsAVX512.Kernel.winogradInput(image: image, height: h, width: w, channels: c, tileRows: rows,
                                          tileColumns: columns, v: v)
            }
            winogradOutput = { m, bias, relu, h, w, c, rows, columns, output in
                KernelsAVX512.Kernel.winogradOutput(m: m, bias: bias, relu: relu, height: h, width: w, channels: c,
                                           tileRows: rows, tileColumns: columns, output: output)
            }
            function = { c, ldc, a, ro, co, b, ldb, padded, m, n, k, acc, bias, relu, s in
                KernelsAVX512.Kernel.gatherGEMM(c: c, ldc: ldc, a: a, rowOffsets: ro, colOffsets: co, b: b, ldb: ldb, bIsPadded: padded,
                                                m: m, n: n, k: k,
                                                epilogue: .init(accumulate: acc, bias: bias, relu: relu), scratch: s)
            }
        case .avx2:
            scratchCount = KernelsAVX2.Kernel.scratchCount
            maxPool2x2 = { input, h, w, c, output in
                KernelsAVX2.Kernel.maxPool2x2(input: input, height: h, width: w, channels: c, output: output)
            }
            dotRows = { c, ldc, a, lda, weight, m, n, k, bias, relu in
                KernelsAVX2.Kernel.dotRows(c: c, ldc: ldc, a: a, lda: lda, w: weight, m: m, n: n, k: k, bias: bias, relu: relu)
            }
            nr = KernelsAVX2.Kernel.nr
            winogradInput = { image, h, w, c, rows, columns, v in
                KernelsAVX2.Kernel.winogradInput(image: image, height: h, width: w, channels: c, tileRows: rows,
                                          tileColumns: columns, v: v)
            }
            winogradOutput = { m, bias, relu, h, w, c, rows, columns, output in
                KernelsAVX2.Kernel.winogradOutput(m: m, bias: bias, relu: relu, height: h, width: w, channels: c,
                                           tileRows: rows, tileColumns: columns, output: output)
            }
            function = { c, ldc, a, ro, co, b, ldb, padded, m, n, k, acc, bias, relu, s in
                KernelsAVX2.Kernel.gatherGEMM(c: c, ldc: ldc, a: a, rowOffsets: ro, colOffsets: co, b: b, ldb: ldb, bIsPadded: padded,
                                              m: m, n: n, k: k,
                                              epilogue: .init(accumulate: acc, bias: bias, relu: relu), scratch: s)
            }
        #else
        case .avx512, .avx2:
            return nil
        #endif
        case .baseline:
            scratchCount = KernelsBaseline.Kernel.scratchCount
            maxPool2x2 = { input, h, w, c, output in
                KernelsBaseline.Kernel.maxPool2x2(input: input, height: h, width: w, channels: c, output: output)
            }
            dotRows = { c, ldc, a, lda, weight, m, n, k, bias, relu in
                KernelsBaseline.Kernel.dotRows(c: c, ldc: ldc, a: a, lda: lda, w: weight, m: m, n: n, k: k, bias: bias, relu: relu)
            }
            nr = KernelsBaseline.Kernel.nr
            winogradInput = { image, h, w, c, rows, columns, v in
                KernelsBaseline.Kernel.winogradInput(image: image, height: h, width: w, channels: c, tileRows: rows,
                                          tileColumns: columns, v: v)
            }
            winogradOutput = { m, bias, relu, h, w, c, rows, columns, output in
                KernelsBaseline.Kernel.winogradOutput(m: m, bias: bias, relu: relu, height: h, width: w, channels: c,
                                           tileRows: rows, tileColumns: columns, output: output)
            }
            function = { c, ldc, a, ro, co, b, ldb, padded, m, n, k, acc, bias, relu, s in
                KernelsBaseline.Kernel.gatherGEMM(c: c, ldc: ldc, a: a, rowOffsets: ro, colOffsets: co, b: b, ldb: ldb, bIsPadded: padded,
                                                  m: m, n: n, k: k,
                                                  epilogue: .init(accumulate: acc, bias: bias, relu: relu), scratch: s)
            }
        }
    }

    /// The kernel of the detected instruction set.
    public static let active: GEMMKernel = GEMMKernel(InstructionSet.detected) ?? GEMMKernel(.baseline)!

    /// C[m, n] = (C +) Σ_t a[rowOffsets[m] + colOffsets[t]] · b[t * ldb + n] (+ bias[n]), ReLU optional.
    @inline(__always)
    public func gatherGEMM(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, bIsPadded: Bool = false, m: Int, n: Int, k: Int,
        accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, relu: Bool = false,
        scratch: UnsafeMutablePointer<Float>
    ) {
        function(c, ldc, a, rowOffsets, colOffsets, b, ldb, bIsPadded, m, n, k, accumulate, bias, relu, scratch)
    }
}
